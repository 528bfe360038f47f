"""Award allocation under a budget: plain data in and out (no Django).

`rank_order` walks down the ranking and funds what still fits; `max_total_score` funds the set with
the largest total score (a knapsack with category and agency caps, solved exactly by HiGHS). Both
fund whole requests, never exceed the budget or a cap, and give every unfunded application a reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from grassroots.core.formats import FormatError
from grassroots.core.messages import Message, gettext_noop

RULES = ("rank_order", "max_total_score")

BELOW_MIN_SCORE = gettext_noop("below the minimum score %(min)s")
AGENCY_LIMIT = gettext_noop("agency %(agency)s already has %(count)s award(s), the most allowed")
OVER_REMAINING = gettext_noop("the request %(requested)s does not fit the remaining budget %(remaining)s")
OVER_CATEGORY_CAP = gettext_noop(
    "the request %(requested)s does not fit what is left (%(left)s) of the cap for category %(category)s"
)
OVER_BUDGET = gettext_noop("the request %(requested)s is larger than the whole budget %(budget)s")
NOT_IN_BEST_SET = gettext_noop(
    "not in the set of applications with the largest total score that fits the budget and caps"
)


@dataclass(frozen=True)
class Bid:
    id: str
    requested: Decimal
    score: Decimal
    agency: str = ""
    community: str = ""
    category: str = ""


@dataclass
class Allocation:
    status: str
    objective: Decimal
    total_awarded: Decimal
    funded: list[str]
    reasons: dict[str, Message] = field(default_factory=dict)


def ranking_key(bid: Bid) -> tuple[Decimal, Decimal, str]:
    """The documented tie-break: higher score first, then lower request, then id."""
    return (-bid.score, bid.requested, bid.id)


def allocate(
    rule: str,
    bids: Sequence[Bid],
    budget: Decimal,
    min_score: Decimal,
    max_awards_per_agency: int | None = None,
    category_caps: dict[str, Decimal] | None = None,
) -> Allocation:
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
    if budget < 0:
        raise ValueError("the budget cannot be negative")
    caps = category_caps or {}
    ids = [b.id for b in bids]
    if len(set(ids)) != len(ids):
        raise ValueError("application ids must be unique")
    reasons = {b.id: Message(BELOW_MIN_SCORE, min=_fmt(min_score)) for b in bids if b.score < min_score}
    candidates = [b for b in bids if b.score >= min_score]
    if rule == "rank_order":
        funded = _rank_order(candidates, budget, max_awards_per_agency, caps, reasons)
    else:
        funded = _max_total_score(candidates, budget, max_awards_per_agency, caps, reasons)
    chosen = {b.id: b for b in bids if b.id in funded}
    total = sum((b.requested for b in chosen.values()), Decimal("0.00"))
    _assert_within(chosen.values(), budget, max_awards_per_agency, caps)
    objective = sum((b.score for b in chosen.values()), Decimal(0))
    ordered = [b.id for b in sorted(chosen.values(), key=ranking_key)]
    return Allocation("optimal", objective, total.quantize(Decimal("0.01")), ordered, reasons)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _rank_order(
    candidates: Sequence[Bid],
    budget: Decimal,
    per_agency: int | None,
    caps: dict[str, Decimal],
    reasons: dict[str, Message],
) -> set[str]:
    remaining = budget
    used_cap: dict[str, Decimal] = defaultdict(Decimal)
    awards_of: dict[str, int] = defaultdict(int)
    funded: set[str] = set()
    for bid in sorted(candidates, key=ranking_key):
        if per_agency is not None and awards_of[bid.agency] >= per_agency:
            reasons[bid.id] = Message(AGENCY_LIMIT, agency=bid.agency, count=per_agency)
        elif bid.requested > remaining:
            reasons[bid.id] = Message(OVER_REMAINING, requested=bid.requested, remaining=remaining)
        elif bid.category in caps and used_cap[bid.category] + bid.requested > caps[bid.category]:
            left = caps[bid.category] - used_cap[bid.category]
            reasons[bid.id] = Message(OVER_CATEGORY_CAP, requested=bid.requested, left=left, category=bid.category)
        else:
            funded.add(bid.id)
            remaining -= bid.requested
            used_cap[bid.category] += bid.requested
            awards_of[bid.agency] += 1
    return funded


def _max_total_score(
    candidates: Sequence[Bid],
    budget: Decimal,
    per_agency: int | None,
    caps: dict[str, Decimal],
    reasons: dict[str, Message],
) -> set[str]:
    fitting = [b for b in candidates if b.requested <= budget]
    for b in candidates:
        if b.requested > budget:
            reasons[b.id] = Message(OVER_BUDGET, requested=b.requested, budget=budget)
    if not fitting:
        return set()
    n = len(fitting)
    cents = np.array([int(b.requested * 100) for b in fitting], dtype=float)
    rows = [cents]
    upper = [float(int(budget * 100))]
    for category, cap in caps.items():
        rows.append(np.array([c if b.category == category else 0.0 for b, c in zip(fitting, cents, strict=True)]))
        upper.append(float(int(cap * 100)))
    if per_agency is not None:
        for agency in sorted({b.agency for b in fitting}):
            rows.append(np.array([1.0 if b.agency == agency else 0.0 for b in fitting]))
            upper.append(float(per_agency))
    # Scores in hundredths as integers keep the objective exact; a tiny preference for cheaper sets
    # among equal totals makes the choice deterministic and leaves money for the next call.
    scores = np.array([float(int(b.score * 100)) for b in fitting])
    tiebreak = cents / (cents.sum() * 10 + 1)
    result = milp(
        c=-(scores - tiebreak),
        constraints=[LinearConstraint(np.vstack(rows), -np.inf, np.array(upper))],
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0},
    )
    if result.status != 0 or result.x is None:
        raise RuntimeError(f"the allocation solver failed: {result.message}")
    funded = {b.id for b, x in zip(fitting, result.x, strict=True) if x > 0.5}
    _explain(fitting, funded, per_agency, caps, reasons)
    return funded


def _explain(
    bids: Sequence[Bid],
    funded: set[str],
    per_agency: int | None,
    caps: dict[str, Decimal],
    reasons: dict[str, Message],
) -> None:
    """Why each bid left out of the optimal set is out: a cap it would break next to the funded set, or
    else that funding it would lower the total score the budget buys."""
    chosen = [b for b in bids if b.id in funded]
    used: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    for b in chosen:
        used[b.category] += b.requested
        count[b.agency] += 1
    for b in bids:
        if b.id in funded:
            continue
        if per_agency is not None and count[b.agency] >= per_agency:
            reasons[b.id] = Message(AGENCY_LIMIT, agency=b.agency, count=per_agency)
        elif b.category in caps and used[b.category] + b.requested > caps[b.category]:
            left = caps[b.category] - used[b.category]
            reasons[b.id] = Message(OVER_CATEGORY_CAP, requested=b.requested, left=left, category=b.category)
        else:  # it may not fit what is left, but only because higher-total sets took the money
            reasons[b.id] = Message(NOT_IN_BEST_SET)


def _assert_within(chosen: object, budget: Decimal, per_agency: int | None, caps: dict[str, Decimal]) -> None:
    bids = list(chosen)  # type: ignore[call-overload]
    if sum((b.requested for b in bids), Decimal(0)) > budget:
        raise AssertionError("allocation exceeds the budget")
    for category, cap in caps.items():
        if sum((b.requested for b in bids if b.category == category), Decimal(0)) > cap:
            raise AssertionError(f"allocation exceeds the cap of {category}")
    if per_agency is not None:
        counts: dict[str, int] = defaultdict(int)
        for b in bids:
            counts[b.agency] += 1
        if any(c > per_agency for c in counts.values()):
            raise AssertionError("allocation exceeds the awards allowed per agency")


# -- the plain-file format of `grassroots solve allocate` (../shared/contracts/solvers.md) --------------


def _amount(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FormatError(f'{where} must be a decimal string such as "1000.00"')
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError:
        raise FormatError(f"{where} is not a decimal amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise FormatError(f"{where} must be a finite amount of at least 0")
    if amount != amount.quantize(Decimal("0.01")):
        raise FormatError(f"{where} has more than two decimal places: {value}")
    return amount.quantize(Decimal("0.01"))


def _number(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FormatError(f"{where} must be a number")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise FormatError(f"{where} must be a number") from None
    if not number.is_finite():
        raise FormatError(f"{where} must be a finite number")
    return number


def solve_file(data: object) -> dict[str, object]:
    """Check, solve and render one allocation file; raises `FormatError` saying what does not fit."""
    if not isinstance(data, dict):
        raise FormatError("the file must hold a JSON object")
    rule = data.get("rule")
    if rule not in RULES:
        raise FormatError(f"rule must be one of {', '.join(RULES)}")
    budget = _amount(data.get("budget"), "budget")
    min_score = _number(data.get("min_score", 0), "min_score")
    per_agency = data.get("max_awards_per_agency")
    if per_agency is not None and (not isinstance(per_agency, int) or isinstance(per_agency, bool) or per_agency < 0):
        raise FormatError("max_awards_per_agency must be a whole number of at least 0")
    raw_caps = data.get("category_caps") or {}
    if not isinstance(raw_caps, dict):
        raise FormatError("category_caps must be an object of category: amount")
    caps = {str(c): _amount(v, f"category_caps.{c}") for c, v in raw_caps.items()}
    items = data.get("applications")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise FormatError("applications must be a list of objects")
    bids = []
    for i, item in enumerate(items):
        where = f"applications[{i}]"
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            raise FormatError(f"{where} needs a non-empty string id")
        texts = {}
        for key in ("agency", "community", "category"):
            value = item.get(key, "")
            if not isinstance(value, str):
                raise FormatError(f"{where}.{key} must be a string")
            texts[key] = value
        bids.append(
            Bid(
                ident,
                _amount(item.get("requested"), f"{where}.requested"),
                _number(item.get("score"), f"{where}.score"),
                **texts,
            )
        )
    if len({b.id for b in bids}) != len(bids):
        raise FormatError("application ids must be unique")
    result = allocate(str(rule), bids, budget, min_score, per_agency, caps)
    return {
        "status": result.status,
        "objective": float(result.objective),
        "total_awarded": str(result.total_awarded),
        "funded": result.funded,
        "reasons": result.reasons,
    }
