"""Community and street scorecards: the share of a project's evaluated performance each of them earns.

A street is credited with every project under its jurisdiction; a project delivered with several partner
communities credits each of them an equal share (`core.shares.equal_split`, the rule the governance
metrics share the amounts by). A scorecard counts the projects and the funds, the mean
final score weighted by the contract amounts, the grades, and the *performance credit*: the sum over
projects of score × share, the political performance the projects brought. Plain data, no Django.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from grassroots.core.shares import equal_split

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ProjectResult:
    """A contract's final evaluation with who shares in it."""

    contract_id: int
    year: int
    amount: Decimal
    score: Decimal
    grade: str
    street_id: int | None
    community_ids: Sequence[int]


@dataclass
class Scorecard:
    org_id: int
    year: int
    projects: int = 0
    funds: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    grades: Counter[str] = field(default_factory=Counter)
    _weighted: Decimal = Decimal(0)

    @property
    def mean_score(self) -> Decimal | None:
        """Mean final score weighted by the funds (None without projects)."""
        if not self.projects or self.funds <= 0:
            return None
        return (self._weighted / self.funds).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def excellent_share(self) -> Decimal | None:
        if not self.projects:
            return None
        return Decimal(self.grades["excellent"]) / self.projects

    def add(self, result: ProjectResult, share: Decimal) -> None:
        self.projects += 1
        funds = (result.amount * share).quantize(CENT, rounding=ROUND_HALF_UP)  # money: two places
        self.funds += funds
        self._weighted += funds * result.score
        self.credit = (self.credit + result.score * share).quantize(CENT, rounding=ROUND_HALF_UP)
        self.grades[result.grade] += 1


def scorecards(
    results: Iterable[ProjectResult],
) -> tuple[dict[tuple[int, int], Scorecard], dict[tuple[int, int], Scorecard]]:
    """Scorecards keyed by (organization, year): (streets, communities)."""
    streets: dict[tuple[int, int], Scorecard] = {}
    communities: dict[tuple[int, int], Scorecard] = {}
    for result in results:
        if result.street_id is not None:
            key = (result.street_id, result.year)
            streets.setdefault(key, Scorecard(*key)).add(result, Decimal(1))
        for community, share in equal_split(Decimal(1), sorted(result.community_ids)).items():
            key = (community, result.year)
            communities.setdefault(key, Scorecard(*key)).add(result, share)
    return streets, communities


def by_year(cards: dict[tuple[int, int], Scorecard], org_id: int) -> list[Scorecard]:
    """One organization's scorecards, latest year first."""
    return sorted((c for (o, _y), c in cards.items() if o == org_id), key=lambda c: -c.year)


def ranking(cards: dict[tuple[int, int], Scorecard], year: int) -> list[Scorecard]:
    """The year's scorecards, most credit first (ties by organization id, so the order is stable)."""
    rows = [c for (_o, y), c in cards.items() if y == year]
    return sorted(rows, key=lambda c: (-c.credit, c.org_id))
