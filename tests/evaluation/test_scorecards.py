"""Community and street scorecards: the performance credit evaluated projects bring the street they ran
under and the partner communities that share them, on hand-made results and on evaluated contracts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from grassroots.evaluation.models import Evaluation
from grassroots.evaluation.scorecards import ProjectResult, by_year, ranking, scorecards
from grassroots.evaluation.selectors import community_ranking, project_results, scorecards_of
from grassroots.orgs.models import Organization
from tests import world as w

D = Decimal

# --- the pure module ----------------------------------------------------------------------------

RESULTS = [
    ProjectResult(1, 2025, D("100000.00"), D("92.00"), "excellent", street_id=10, community_ids=[1, 2]),
    ProjectResult(2, 2025, D("50000.00"), D("70.00"), "pass", street_id=10, community_ids=[2]),
    ProjectResult(3, 2025, D("30000.00"), D("85.00"), "good", street_id=None, community_ids=[3, 3]),
    ProjectResult(4, 2024, D("60000.00"), D("55.00"), "fail", street_id=10, community_ids=[1]),
    ProjectResult(5, 2025, D("10000.00"), D("80.00"), "good", street_id=11, community_ids=[6, 4, 5]),
]


def test_a_street_is_credited_with_every_project_under_it() -> None:
    streets, _communities = scorecards(RESULTS)
    assert set(streets) == {(10, 2025), (10, 2024), (11, 2025)}  # a department's direct call credits no street
    card = streets[(10, 2025)]
    assert (card.projects, card.funds, card.credit) == (2, D("150000.00"), D("162.00"))
    assert card.mean_score == D("84.67")  # (100,000 × 92 + 50,000 × 70) / 150,000, weighted by the funds
    assert card.grades == Counter({"excellent": 1, "pass": 1})
    assert card.excellent_share == D("0.5")
    assert (streets[(10, 2024)].mean_score, streets[(10, 2024)].credit) == (D("55.00"), D("55.00"))


def test_partner_communities_share_a_project_equally() -> None:
    _streets, communities = scorecards(RESULTS)
    first, second = communities[(1, 2025)], communities[(2, 2025)]
    assert (first.projects, first.funds, first.credit, first.mean_score) == (1, D("50000.00"), D("46.00"), D("92.00"))
    # Half of project 1 and all of project 2: the mean weights each by the funds that came to the community.
    assert (second.projects, second.funds, second.credit, second.mean_score) == (
        2,
        D("100000.00"),
        D("116.00"),
        D("81.00"),
    )
    # A community named twice is one partner.
    assert (communities[(3, 2025)].funds, communities[(3, 2025)].credit) == (D("30000.00"), D("85.00"))
    # A third each, to the cent.
    thirds = [communities[(c, 2025)] for c in (4, 5, 6)]
    assert {(c.funds, c.credit, c.mean_score) for c in thirds} == {(D("3333.33"), D("26.67"), D("80.00"))}


def test_scorecards_by_year_and_the_ranking() -> None:
    _streets, communities = scorecards(RESULTS)
    assert [c.year for c in by_year(communities, 1)] == [2025, 2024]
    assert by_year(communities, 99) == []
    # Most credit first; equal credit by organization id, so the order is stable.
    assert [(c.org_id, c.credit) for c in ranking(communities, 2025)] == [
        (2, D("116.00")),
        (3, D("85.00")),
        (1, D("46.00")),
        (4, D("26.67")),
        (5, D("26.67")),
        (6, D("26.67")),
    ]
    assert [c.org_id for c in ranking(communities, 2024)] == [1]
    assert ranking(communities, 2023) == []


def test_an_empty_scorecard_has_no_mean() -> None:
    streets, communities = scorecards([])
    assert streets == {} and communities == {}
    card = scorecards([RESULTS[0]])[0][(10, 2025)]
    assert card.mean_score == D("92.00")
    assert type(card)(org_id=1, year=2025).mean_score is None
    assert type(card)(org_id=1, year=2025).excellent_share is None


# --- on evaluated contracts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Contracts:
    shared: int  # S Street, agency 1, 100,000, with communities 0 and 1: final 92
    single: int  # S Street, agency 2, 50,000, with community 1: final 70
    other: int  # T Street, agency 0, 80,000, with community 2: final 85
    unevaluated: int  # S Street, agency 0, 40,000, with community 0: only a mid-term


@pytest.fixture(scope="module")
def evaluated(module_world: w.World, django_db_blocker: Any) -> Iterator[Contracts]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            c0, c1, c2 = world.communities
            program = w.open_program(world)
            call = w.open_street_call(
                world, program, envelope="400000.00", funds="300000.00", reviewers_per_application=1
            )
            apps = [
                w.submitted_application(world, call, agency=1, requested="100000.00", communities=[c0, c1]),
                w.submitted_application(world, call, agency=2, requested="50000.00", communities=[c1]),
                w.submitted_application(world, call, agency=0, requested="40000.00", communities=[c0]),
            ]
            w.review_call(world, call, {a.pk: "85" for a in apps})
            awards = {a.application_id: a for a in w.decide(world, w.publicise(world, call)).awards.all()}
            shared, single, unevaluated = (w.signed_contract(world, awards[a.pk]) for a in apps)
            t_call = w.open_street_call(
                world,
                program,
                street=world.other_street,
                envelope="200000.00",
                funds="100000.00",
                reviewers_per_application=1,
            )
            t_app = w.submitted_application(world, t_call, agency=0, requested="80000.00", communities=[c2])
            w.review_call(world, t_call, {t_app.pk: "85"})
            other = w.signed_contract(world, w.decide(world, w.publicise(world, t_call)).awards.get())
            w.evaluate(world, shared, Evaluation.Kind.MIDTERM, "50", date(2025, 9, 20))  # a mid-term credits nobody
            for contract, score in ((shared, "92"), (single, "70"), (other, "85")):
                w.evaluate(world, contract, Evaluation.Kind.FINAL, score, date(2026, 3, 25))
            w.evaluate(world, unevaluated, Evaluation.Kind.MIDTERM, "99", date(2025, 9, 20))
            built = Contracts(shared.pk, single.pk, other.pk, unevaluated.pk)
        yield built


@pytest.mark.django_db
def test_project_results_come_from_final_evaluations(world: w.World, evaluated: Contracts) -> None:
    c0, c1, c2 = world.communities
    results = {r.contract_id: r for r in project_results()}
    assert set(results) == {evaluated.shared, evaluated.single, evaluated.other}
    shared = results[evaluated.shared]
    assert (shared.year, shared.amount, shared.score, shared.grade) == (w.FY, D("100000.00"), D("92.00"), "excellent")
    assert (shared.street_id, sorted(shared.community_ids)) == (world.street.pk, sorted([c0.pk, c1.pk]))
    assert results[evaluated.other].street_id == world.other_street.pk
    assert {r.contract_id for r in project_results(street=world.street)} == {evaluated.shared, evaluated.single}
    assert {r.contract_id for r in project_results(community=c1)} == {evaluated.shared, evaluated.single}
    assert {r.contract_id for r in project_results(community=c2)} == {evaluated.other}


@pytest.mark.django_db
def test_a_street_s_scorecard(world: w.World, evaluated: Contracts) -> None:
    [card] = scorecards_of(world.street)
    assert (card.org_id, card.year, card.projects, card.funds, card.credit) == (
        world.street.pk,
        w.FY,
        2,
        D("150000.00"),
        D("162.00"),
    )
    assert (card.mean_score, card.grades) == (D("84.67"), Counter({"excellent": 1, "pass": 1}))
    [other] = scorecards_of(world.other_street)
    assert (other.projects, other.credit) == (1, D("85.00"))


@pytest.mark.django_db
def test_a_community_s_scorecard(world: w.World, evaluated: Contracts) -> None:
    c0, c1, _c2 = world.communities
    [first] = scorecards_of(c0)
    assert (first.projects, first.funds, first.credit, first.mean_score) == (1, D("50000.00"), D("46.00"), D("92.00"))
    [second] = scorecards_of(c1)
    assert (second.projects, second.funds, second.credit, second.mean_score) == (
        2,
        D("100000.00"),
        D("116.00"),
        D("81.00"),
    )
    assert scorecards_of(world.agencies[1]) == []  # agencies have performance records, not scorecards


@pytest.mark.django_db
def test_the_street_ranks_its_communities(world: w.World, evaluated: Contracts) -> None:
    c0, c1, c2 = world.communities
    ranked: list[tuple[Organization, Any]] = community_ranking(world.street, w.FY)
    assert [(org, card.credit) for org, card in ranked] == [(c1, D("116.00")), (c0, D("46.00"))]
    assert [(org, card.credit) for org, card in community_ranking(world.other_street, w.FY)] == [(c2, D("85.00"))]
    assert community_ranking(world.street, w.FY + 1) == []
