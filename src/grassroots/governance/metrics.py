"""The governance metrics of `shared/contracts/governance-metrics.md`, one definition each (no Django).

The analytics (from the database, through `governance.selectors`) and the policy simulator (from
synthetic agents) both describe a jurisdiction's fiscal year as a `YearFacts` and call `compute`, so
a metric means the same thing on real and simulated data. A metric without a denominator is None,
never 0: "no calls closed" is not "no applications per call".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from grassroots.core.shares import equal_split
from grassroots.evaluation.grading import PASS_MARK

Id = int | str


@dataclass(frozen=True)
class ContractFact:
    agency: Id
    communities: tuple[Id, ...]  # partner communities; the amount is shared equally among them (equal_split)
    category: Id  # service category
    amount: Decimal | float  # the contract amount, paid from the call's budget
    matching_funds: Decimal | float  # matching funds beside the amount (community, street, charity)
    addresses_prioritised_need: bool  # addresses >= 1 consulted, prioritised need of its communities
    # the part of `amount` that is street matching funds pooled into the call's budget (already in the
    # amount, so it counts as matching funds but not again in the budget)
    pooled_matching: Decimal | float = 0


@dataclass(frozen=True)
class YearFacts:
    year: int
    communities: tuple[Id, ...]  # every community of the jurisdiction
    residents: int  # residents of the jurisdiction
    active_agencies: tuple[Id, ...]  # applied to, or held a contract of the year in, the jurisdiction
    eligible_per_closed_call: tuple[int, ...]  # per call closed in the year: its submitted, eligible applications
    eligible_applications: int  # submitted, eligible applications of the year
    awarded_applications: int  # of those, awarded
    contracts: tuple[ContractFact, ...]  # contracts whose term starts in the year
    volunteer_hours: float  # in the year's service records
    resident_participations: int  # in the year's service records
    final_scores: tuple[float, ...]  # final evaluation scores of contracts evaluated in the year


@dataclass(frozen=True)
class Metric:
    name: str  # the key of the contract (API, CSV, metrics.csv)
    label: str  # plain English; pages translate it
    definition: str  # the contract's definition, verbatim


METRICS: tuple[Metric, ...] = (
    Metric(
        "applications_per_call",
        "Applications per call",
        "mean number of submitted, eligible applications per call closed in the year",
    ),
    Metric(
        "success_rate",
        "Success rate",
        "awarded applications ÷ submitted eligible applications in the year",
    ),
    Metric(
        "award_hhi",
        "Concentration of awards (HHI)",
        "Herfindahl–Hirschman index of contract amounts across agencies: Σ sᵢ², shares sᵢ in [0, 1]",
    ),
    Metric(
        "community_gini",
        "Gini of funds across communities",
        "Gini coefficient of contract amounts across all communities of the jurisdiction, those with nothing included",
    ),
    Metric(
        "linkage_density",
        "Linkage density",
        "distinct (community, agency) pairs with a contract of the year ÷ "
        "(communities × agencies active in the jurisdiction)",
    ),
    Metric(
        "tie_persistence",
        "Tie persistence",
        "share of the year's (community, agency) pairs that also held a contract the year before",
    ),
    Metric(
        "agency_embeddedness",
        "Agency embeddedness",
        "mean, over agencies with a contract of the year, of the number of distinct communities they serve in it",
    ),
    Metric(
        "project_continuation",
        "Project continuation",
        "share of the previous year's contracts whose (community, service category) has a contract again this year",
    ),
    Metric(
        "cofunding_share",
        "Co-funding share",
        "matching funds (community, street, charity) ÷ total budget of the year's contracts",
    ),
    Metric(
        "volunteer_hours_per_1000",
        "Volunteer hours per 1,000 residents",
        "volunteer hours recorded in the year's service records per 1,000 residents of the jurisdiction",
    ),
    Metric(
        "resident_participation_per_1000",
        "Resident participation per 1,000 residents",
        "resident participations recorded in the year's service records per 1,000 residents",
    ),
    Metric(
        "needs_alignment",
        "Needs alignment",
        "share of the year's contracts that address at least one consulted, prioritised need of their community",
    ),
    Metric(
        "mean_final_score",
        "Mean final score",
        "mean final evaluation score of contracts evaluated in the year",
    ),
    Metric(
        "fail_rate",
        "Fail rate",
        "share of final evaluations graded fail (below 60)",
    ),
)
NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)

SIGNIFICANT_DIGITS = 12  # enough to keep every figure exact to the contract's 6, and to drop float noise


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


# ---- building blocks, public so pages can draw what a metric summarises ----------------------------


def community_amounts(facts: YearFacts) -> dict[Id, float]:
    """Contract amounts per community of the jurisdiction, each contract shared equally among its
    communities; every community is present (0 when it has nothing). A share that falls to a partner
    community outside the jurisdiction is not counted here."""
    totals: dict[Id, list[float]] = {c: [] for c in facts.communities}
    for contract in facts.contracts:
        for community, share in equal_split(float(contract.amount), contract.communities).items():
            if community in totals:
                totals[community].append(share)
    return {c: math.fsum(v) for c, v in totals.items()}


def agency_amounts(facts: YearFacts) -> dict[Id, float]:
    """Contract amounts per agency among the year's contracts."""
    totals: dict[Id, list[float]] = defaultdict(list)
    for contract in facts.contracts:
        totals[contract.agency].append(float(contract.amount))
    return {a: math.fsum(v) for a, v in totals.items()}


def pairs(facts: YearFacts) -> set[tuple[Id, Id]]:
    """Distinct (community, agency) pairs with a contract of the year, communities of the jurisdiction only."""
    inside = set(facts.communities)
    return {(c, k.agency) for k in facts.contracts for c in k.communities if c in inside}


def gini(values: Iterable[float]) -> float | None:
    """Mean absolute difference over all ordered pairs ÷ (2 × mean); None for no values or a zero total.

    With n values it lies in [0, 1 − 1/n]: 0 when all are equal, 1 − 1/n when one holds everything.
    """
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    total = math.fsum(ordered)
    if n == 0 or total == 0:
        return None
    # ΣᵢΣⱼ|xᵢ − xⱼ| = 2 Σᵢ (2i − n − 1) x₍ᵢ₎ for the sorted values, i = 1..n
    weighted = math.fsum((2 * i - n - 1) * x for i, x in enumerate(ordered, start=1))
    return weighted / (n * total)


def hhi(values: Iterable[float]) -> float | None:
    """Σ sᵢ² of the shares of a total; None for no values or a zero total."""
    amounts = [float(v) for v in values]
    total = math.fsum(amounts)
    if not amounts or total == 0:
        return None
    return math.fsum((a / total) ** 2 for a in amounts)


def lorenz(values: Iterable[float]) -> list[tuple[float, float]]:
    """Points of the Lorenz curve: (share of holders, share of the total they hold), poorest first,
    from (0, 0) to (1, 1); only (0, 0) when there are no values or the total is zero."""
    ordered = sorted(float(v) for v in values)
    total = math.fsum(ordered)
    points = [(0.0, 0.0)]
    if not ordered or total == 0:
        return points
    running: list[float] = []
    for i, x in enumerate(ordered, start=1):
        running.append(x)
        points.append((i / len(ordered), math.fsum(running) / total))
    return points


# ---- the metrics -----------------------------------------------------------------------------------


def _embeddedness(facts: YearFacts) -> float | None:
    served: dict[Id, set[Id]] = {k.agency: set() for k in facts.contracts}
    for community, agency in pairs(facts):
        served[agency].add(community)
    return _mean([len(s) for s in served.values()])


def _tie_persistence(current: YearFacts, previous: YearFacts | None) -> float | None:
    """The denominator is this year's pairs: with none it is null; with a previous year that had no pairs it
    is 0 (no tie carried over). Without a previous year at all (none observed) it is null."""
    now = pairs(current)
    if previous is None or not now:
        return None
    return len(now & pairs(previous)) / len(now)


def _continuation(current: YearFacts, previous: YearFacts | None) -> float | None:
    """A (community, category) continues only through a community of the jurisdiction, as pairs are counted."""
    if previous is None or not previous.contracts:
        return None
    inside = set(current.communities)
    again = {(c, k.category) for k in current.contracts for c in k.communities if c in inside}
    continued = sum(1 for k in previous.contracts if any((c, k.category) in again for c in k.communities))
    return continued / len(previous.contracts)


def matching_of(contract: ContractFact) -> float:
    """A contract's matching funds: those beside its amount and the street's pooled part of the amount."""
    return math.fsum((float(contract.matching_funds), float(contract.pooled_matching)))


def _cofunding(facts: YearFacts) -> float | None:
    matching = math.fsum(matching_of(k) for k in facts.contracts)
    budget = math.fsum(float(k.amount) + float(k.matching_funds) for k in facts.contracts)
    return _ratio(matching, budget)


def _per_1000(count: float, residents: int) -> float | None:
    return count * 1000 / residents if residents else None


def compute(current: YearFacts, previous: YearFacts | None = None) -> dict[str, float | None]:
    """Every metric of the contract for one jurisdiction and year; None where there is no denominator
    (and for tie_persistence and project_continuation when no previous year was observed, `previous` None)."""
    contracts = current.contracts
    scores = [float(s) for s in current.final_scores]
    values: dict[str, float | None] = {
        "applications_per_call": _mean([float(n) for n in current.eligible_per_closed_call]),
        "success_rate": _ratio(current.awarded_applications, current.eligible_applications),
        "award_hhi": hhi(agency_amounts(current).values()) if contracts else None,
        "community_gini": gini(community_amounts(current).values()),
        "linkage_density": _ratio(len(pairs(current)), len(current.communities) * len(current.active_agencies)),
        "tie_persistence": _tie_persistence(current, previous),
        "agency_embeddedness": _embeddedness(current),
        "project_continuation": _continuation(current, previous),
        "cofunding_share": _cofunding(current),
        "volunteer_hours_per_1000": _per_1000(float(current.volunteer_hours), current.residents),
        "resident_participation_per_1000": _per_1000(float(current.resident_participations), current.residents),
        "needs_alignment": _ratio(sum(1 for k in contracts if k.addresses_prioritised_need), len(contracts)),
        "mean_final_score": _mean(scores),
        "fail_rate": _ratio(sum(1 for s in scores if s < PASS_MARK), len(scores)),
    }
    return {name: _round(values[name]) for name in NAMES}


def compute_series(years: Sequence[YearFacts]) -> dict[int, dict[str, float | None]]:
    """`compute` for consecutive years in order; each year's predecessor is the previous entry when it is
    the year before (the first year has none)."""
    result: dict[int, dict[str, float | None]] = {}
    previous: YearFacts | None = None
    for facts in years:
        prior = previous if previous is not None and previous.year == facts.year - 1 else None
        result[facts.year] = compute(facts, prior)
        previous = facts
    return result
