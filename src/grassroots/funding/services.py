"""Issuing programs, entrusting envelopes to streets and opening calls: every write of the funding stage.

Money rule: a program's envelopes and direct calls never exceed its budget; an envelope's calls never
exceed the envelope. Checked under a row lock on the program so two officers cannot both spend the
last yuan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.money import money, split, sum_of
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import acts_for, communities_of

from .models import Aggregation, AwardRule, Call, Criterion, Envelope, Program, ServiceCategory

GRADES = ("excellent", "good", "pass", "fail")


def _require_officer(actor: Any, org: Organization) -> None:
    require(acts_for(actor, org, Role.OFFICER), _("Only an officer of %(org)s may do this.") % {"org": org.local_name})


@transaction.atomic
def ensure_category(code: str, name: str, name_en: str = "") -> ServiceCategory:
    """Add an entry to the purchase catalogue (idempotent: the catalogue is reference data)."""
    category, _created = ServiceCategory.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    return category


def _check_tranches(percents: Sequence[Any]) -> list[str]:
    try:
        values = [Decimal(str(p)) for p in percents]
    except ArithmeticError:
        raise RuleViolation(_("Tranche shares must be numbers.")) from None
    if not values or any(v <= 0 for v in values):
        raise RuleViolation(_("Every tranche needs a positive share."))
    if sum(values, Decimal(0)) != 100:
        raise RuleViolation(_("Tranche shares must add up to 100%%, not %(s)s%%.") % {"s": sum(values, Decimal(0))})
    return [str(v) for v in values]


def _check_grade_factors(factors: dict[str, Any]) -> dict[str, str]:
    if set(factors) != set(GRADES):
        raise RuleViolation(_("The final-grade rule needs a factor for each grade: excellent, good, pass, fail."))
    out = {}
    for grade, value in factors.items():
        try:
            factor = Decimal(str(value))
        except ArithmeticError:
            raise RuleViolation(_("A grade factor must be a number.")) from None
        if not factor.is_finite() or not Decimal(0) <= factor <= Decimal(1):
            raise RuleViolation(_("A grade factor lies between 0 and 1."))
        out[grade] = str(factor)
    return out


@transaction.atomic
def create_program(
    actor: Any,
    *,
    department: Organization,
    title: str,
    fiscal_year: int,
    budget: Any,
    categories: Iterable[ServiceCategory],
    title_en: str = "",
    method: str = "open",
    eligibility: str = "",
    tranche_percents: Sequence[Any] = ("30", "40", "30"),
    grade_factors: dict[str, Any] | None = None,
    management_fee_cap: Any = "10",
    personnel_share_cap: Any = "60",
    max_term_months: int = 12,
) -> Program:
    if department.kind != OrgKind.DEPARTMENT:
        raise RuleViolation(_("Only a purchasing department issues programs."))
    _require_officer(actor, department)
    if not title.strip():
        raise RuleViolation(_("A program needs a title."))
    if not 2000 <= fiscal_year <= 2100:
        raise RuleViolation(_("%(y)s is not a fiscal year.") % {"y": fiscal_year})
    amount = money(budget)
    if amount <= 0:
        raise RuleViolation(_("A program needs a positive budget."))
    fee_cap, personnel_cap = _points(management_fee_cap), _points(personnel_share_cap)
    if not 1 <= max_term_months <= 36:
        raise RuleViolation(_("A contract term lies between 1 and 36 months."))
    categories = list(categories)
    if not categories:
        raise RuleViolation(_("A program names at least one service category."))
    program = Program.objects.create(
        department=department,
        title=title,
        title_en=title_en,
        fiscal_year=fiscal_year,
        budget=amount,
        method=method,
        eligibility=eligibility,
        tranche_percents=_check_tranches(tranche_percents),
        grade_factors=_check_grade_factors(
            grade_factors or {"excellent": "1", "good": "1", "pass": "0.8", "fail": "0"}
        ),
        management_fee_cap=fee_cap,
        personnel_share_cap=personnel_cap,
        max_term_months=max_term_months,
    )
    program.categories.set(categories)
    record(actor, "program.created", program, after={"title": title, "budget": amount, "year": fiscal_year})
    return program


@transaction.atomic
def open_program(actor: Any, program: Program) -> Program:
    _require_officer(actor, program.department)
    transition(program, Program.State.OPEN, actor=actor)
    return program


@transaction.atomic
def close_program(actor: Any, program: Program) -> Program:
    _require_officer(actor, program.department)
    transition(program, Program.State.CLOSED, actor=actor)
    return program


def committed(program: Program) -> Decimal:
    """What is already entrusted or called from a program: its envelopes plus its direct calls."""
    envelopes = sum_of(Envelope.objects.filter(program=program), "amount")
    direct = Call.objects.filter(program=program, envelope__isnull=True).exclude(state=Call.State.CANCELLED)
    return envelopes + sum_of(direct, "funds")


def envelope_committed(envelope: Envelope) -> Decimal:
    return sum_of(Call.objects.filter(envelope=envelope).exclude(state=Call.State.CANCELLED), "funds")


@transaction.atomic
def allocate_envelope(actor: Any, *, program: Program, street: Organization, amount: Any) -> Envelope:
    program = Program.objects.select_for_update().get(pk=program.pk)
    _require_officer(actor, program.department)
    if program.state == Program.State.CLOSED:
        raise RuleViolation(_("The program is closed."))
    if street.kind != OrgKind.STREET or street.parent_id != program.department_id:
        raise RuleViolation(_("%(s)s is not a street office under %(d)s.") % {"s": street, "d": program.department})
    value = money(amount)
    if value <= 0:
        raise RuleViolation(_("An envelope needs a positive amount."))
    left = program.budget - committed(program)
    if value > left:
        raise RuleViolation(
            _("The envelope of %(a)s exceeds what is left of the program's budget (%(left)s).")
            % {"a": value, "left": left}
        )
    if Envelope.objects.filter(program=program, street=street).exists():
        raise RuleViolation(_("%(s)s already has an envelope of this program.") % {"s": street})
    envelope = Envelope.objects.create(program=program, street=street, amount=value)
    record(actor, "envelope.allocated", envelope, after={"program": program.pk, "street": street.pk, "amount": value})
    return envelope


def _next_reference(issuer: Organization, year: int) -> str:
    prefix = f"{year}-{issuer.kind[0].upper()}{issuer.pk:03d}-"
    count = Call.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


@transaction.atomic
def create_call(
    actor: Any,
    *,
    program: Program,
    title: str,
    funds: Any,
    opens_on: date,
    closes_on: date,
    categories: Iterable[ServiceCategory],
    criteria: Sequence[tuple[Any, ...]],
    envelope: Envelope | None = None,
    matching_funds: Any = "0",
    max_request: Any | None = None,
    title_en: str = "",
    description: str = "",
    min_score: Any = "60",
    reviewers_per_application: int = 3,
    needs: Iterable[Any] = (),
    aggregation: str = Aggregation.MEAN,
    disagreement_threshold: Any = "20",
    conflict_years: int = 3,
    performance_default: Any = "70",
    award_rule: str = AwardRule.RANK_ORDER,
    max_awards_per_agency: int | None = None,
    category_caps: dict[str, Any] | None = None,
    publicity_days: int = 5,
) -> Call:
    """Open a draft call on a street's envelope, or directly on the program when no envelope is given.

    `criteria` are (name, English name, weight[, source]) tuples whose weights add up to 100; a source
    of "performance" makes the criterion the agency's past performance instead of a reviewer's mark.
    """
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.state != Program.State.OPEN:
        raise RuleViolation(_("Calls can be opened only on an open program."))
    if not title.strip():
        raise RuleViolation(_("A call needs a title."))
    if envelope is not None:
        if envelope.program_id != program.pk:
            raise RuleViolation(_("The envelope belongs to another program."))
        issuer = envelope.street
        _require_officer(actor, issuer)
    else:
        issuer = program.department
        _require_officer(actor, issuer)
    amount = money(funds)
    matching = money(matching_funds)
    if amount <= 0:
        raise RuleViolation(_("A call needs a positive amount of funds."))
    if matching < 0:
        raise RuleViolation(_("Matching funds cannot be negative."))
    left = (envelope.amount - envelope_committed(envelope)) if envelope else (program.budget - committed(program))
    if amount > left:
        raise RuleViolation(_("The call's funds %(a)s exceed what is left (%(left)s).") % {"a": amount, "left": left})
    if closes_on < opens_on:
        raise RuleViolation(_("A call cannot close before it opens."))
    categories = list(categories)
    allowed = set(program.categories.values_list("pk", flat=True))
    if not categories or any(c.pk not in allowed for c in categories):
        raise RuleViolation(_("A call's categories must come from its program's categories."))
    rows = [_criterion(c) for c in criteria]
    weights = [w for _n, _e, w, _s in rows]
    if not rows or sum(weights, Decimal(0)) != 100 or any(w <= 0 for w in weights):
        raise RuleViolation(_("Review criteria need positive weights that add up to 100."))
    if all(s == Criterion.Source.PERFORMANCE for *_x, s in rows):
        raise RuleViolation(_("At least one criterion must be scored by the reviewers."))
    if reviewers_per_application < 1:
        raise RuleViolation(_("Each application needs at least one reviewer."))
    if reviewers_per_application > 20:
        raise RuleViolation(_("An application is read by at most 20 reviewers."))
    if aggregation not in Aggregation.values:
        raise RuleViolation(_("Unknown way of aggregating scores: %(a)s") % {"a": aggregation})
    if award_rule not in AwardRule.values:
        raise RuleViolation(_("Unknown allocation rule: %(r)s") % {"r": award_rule})
    if not 1 <= publicity_days <= 30:
        raise RuleViolation(_("A publicity period lasts from 1 to 30 working days."))
    if not 0 <= conflict_years <= 10:
        raise RuleViolation(_("The conflict look-back lies between 0 and 10 years."))
    codes = {c.code for c in categories}
    caps = {}
    for code, cap in (category_caps or {}).items():
        if code not in codes:
            raise RuleViolation(_("A cap names the category %(c)s, which the call does not fund.") % {"c": code})
        caps[code] = str(money(cap))
    if max_awards_per_agency is not None and max_awards_per_agency < 1:
        raise RuleViolation(_("The most awards per agency is at least one."))
    if max_awards_per_agency is not None and max_awards_per_agency > 1000:
        raise RuleViolation(_("The most awards per agency is at most 1000."))
    threshold, default_score = _points(disagreement_threshold), _points(performance_default)
    minimum = _points(min_score)
    needs = list(needs)
    area = set(communities_of(issuer).values_list("pk", flat=True))
    if any(n.community_id not in area for n in needs):
        raise RuleViolation(_("A call bundles only needs of the communities %(o)s covers.") % {"o": issuer.local_name})
    ceiling = money(max_request) if max_request is not None else amount + matching
    if not 0 < ceiling <= amount + matching:
        raise RuleViolation(
            _("The largest request must be positive and at most the call's budget (%(b)s).") % {"b": amount + matching}
        )
    call = Call.objects.create(
        program=program,
        envelope=envelope,
        issuer=issuer,
        reference=_next_reference(issuer, program.fiscal_year),
        title=title,
        title_en=title_en,
        description=description,
        funds=amount,
        matching_funds=matching,
        max_request=ceiling,
        min_score=minimum,
        reviewers_per_application=reviewers_per_application,
        opens_on=opens_on,
        closes_on=closes_on,
        aggregation=aggregation,
        disagreement_threshold=threshold,
        conflict_years=conflict_years,
        performance_default=default_score,
        award_rule=award_rule,
        max_awards_per_agency=max_awards_per_agency,
        category_caps=caps,
        publicity_days=publicity_days,
    )
    call.categories.set(categories)
    call.needs.set(needs)
    for position, (name, name_en, weight, source) in enumerate(rows):
        Criterion.objects.create(call=call, name=name, name_en=name_en, weight=weight, position=position, source=source)
    record(
        actor,
        "call.created",
        call,
        after={"funds": amount, "matching": matching, "envelope": getattr(envelope, "pk", None)},
    )
    return call


def _criterion(row: Sequence[Any]) -> tuple[str, str, Decimal, str]:
    if len(row) not in (3, 4) or not str(row[0]).strip():
        raise RuleViolation(_("A criterion is a name, an English name, a weight and optionally who scores it."))
    source = row[3] if len(row) == 4 else Criterion.Source.REVIEWERS
    if source not in Criterion.Source.values:
        raise RuleViolation(_("Unknown criterion source: %(s)s") % {"s": source})
    try:
        weight = Decimal(str(row[2]))
    except ArithmeticError:
        raise RuleViolation(_("A criterion's weight must be a number.")) from None
    return str(row[0]), str(row[1]), weight, str(source)


def _points(value: Any) -> Decimal:
    """A score or weight between 0 and 100."""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise RuleViolation(_("“%(v)s” is not a number.") % {"v": value}) from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise RuleViolation(_("%(v)s is not between 0 and 100.") % {"v": value})
    return number


@transaction.atomic
def open_call(actor: Any, call: Call) -> Call:
    _require_officer(actor, call.issuer)
    if call.program.state != Program.State.OPEN:
        raise RuleViolation(_("The program of this call is not open."))
    transition(call, Call.State.OPEN, actor=actor)
    from grassroots.evaluation.services import freeze_indicators  # evaluation builds on funding

    freeze_indicators(actor, call.program)
    return call


@transaction.atomic
def close_call(actor: Any, call: Call) -> Call:
    """End submissions; the call goes under review (called by the review stage)."""
    _require_officer(actor, call.issuer)
    transition(call, Call.State.REVIEW, actor=actor)
    return call


@transaction.atomic
def finish_review(actor: Any, call: Call) -> Call:
    _require_officer(actor, call.issuer)
    transition(call, Call.State.AWARDING, actor=actor)
    return call


@transaction.atomic
def mark_decided(actor: Any, call: Call) -> Call:
    """The department's approval of the awards closes the call (called by the award stage)."""
    _require_officer(actor, call.program.department)
    transition(call, Call.State.DECIDED, actor=actor)
    return call


@transaction.atomic
def cancel_call(actor: Any, call: Call, reason: str) -> Call:
    _require_officer(actor, call.issuer)
    if not reason.strip():
        raise RuleViolation(_("Say why the call is cancelled."))
    transition(call, Call.State.CANCELLED, actor=actor, reason=reason)
    return call


def tranche_amounts(program: Program, amount: Decimal) -> list[Decimal]:
    """A contract amount split by the program's tranche schedule."""
    return split(amount, [Decimal(p) for p in program.tranche_percents])
