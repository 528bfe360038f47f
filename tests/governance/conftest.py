"""A hand-made history of two fiscal years on top of the shared world, for the governance reads.

The selector only reads, and its answers depend on exact dates and states across years (a call
cancelled, an application withdrawn after eligibility, a draft contract, a mid-term evaluation, a
record held the year after its contract started), which the services — built to run one year
forward from "today" — cannot place freely. So the rows are written directly with the ORM, once per
module, on the world's organizations; every figure the tests expect is worked out by hand in
`tests/governance/test_selectors.py`.

Street S has communities c0 (4,000 residents) and c1 (5,000); street T has c2 (6,000); agencies
a0, a1, a2. Calls (K1–K6) and what came of them:

    K1  S  closes 2024-03-01 decided    A1 a0 c0 elderly awarded → k1 (2024-04-01, 100,000 + 10,000 matching,
                                           answers prioritised need n0 of c0)
                                        A2 a1 c1 youth not awarded; A3 a2 c0 youth ineligible
    K2  S  closes 2025-02-28 decided    B1 a0 c0+c1 elderly awarded → k2 (2025-04-01, 200,000; answers n1 of c1,
                                           consulted but not prioritised)
                                        B2 a1 c1 youth awarded → k3 (2025-04-01, 100,000 + 20,000 community
                                           matching + 5,000 of the agency's own; answers prioritised n2 of c1)
                                        B3 a2 c0 disability not awarded; B4 a2 c1 elderly withdrawn
    K3  S  closes 2025-09-30 review     C1 a1 c0 youth eligible; C2 a0 c1 elderly eligible
    K4  T  closes 2025-02-28 decided    D1 a2 c2 disability awarded → k4 (2025-04-01, 50,000)
    K5  S  closes 2025-05-30 cancelled  E1 a0 c0 withdrawn (submitted 2025-05-01)
    K6  department, closes 2025-03-15, decided
                                        F1 a2 c1 youth awarded → k5 (2025-05-01, 60,000; answers prioritised n3,
                                           which is c0's: not a partner's need)
                                        G1 a0 c0 elderly awarded → k6, still a draft (2025-06-01, 999)

Service records (volunteer hours, resident participants): k1 2024-05-01 (10, 20), 2024-11-01 (5.5, 4),
2025-01-15 (2, 3); k2 2025-05-01 (8, 10); k4 2025-05-01 (100, 100); k6 2025-06-02 (1000, 1000).
Evaluations: k1 mid-term accepted 50 (2024-10-01), final accepted 85 (2025-03-20); k3 final submitted,
not accepted, 40 (2025-12-01); k5 final accepted 55 (2025-12-20); k4 final accepted 92 (2025-12-10).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from grassroots.applications.models import Application, FundSource, MatchingFund
from grassroots.awards.models import Award, AwardList
from grassroots.contracts.models import Contract
from grassroots.delivery.models import ServiceRecord
from grassroots.evaluation.models import Evaluation
from grassroots.funding.models import Call, Program
from grassroots.needs.models import Need
from tests.world import World, kept_for_module, reload

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class History:
    """Primary keys of the hand-made history (tests read the rows again)."""

    street: int
    other_street: int
    department: int
    communities: list[int]  # c0, c1, c2
    agencies: list[int]  # a0, a1, a2
    categories: dict[str, int]
    contracts: dict[str, int]  # k1 … k6


def _build(world: World) -> History:
    S, T, D = world.street, world.other_street, world.department
    c0, c1, c2 = world.communities
    a0, a1, a2 = world.agencies
    cat = world.categories
    programs = {
        y: Program.objects.create(department=D, title=f"P{y}", fiscal_year=y, budget=Decimal("1000000"))
        for y in (2024, 2025)
    }

    def call(ref: str, issuer: Any, closes: date, state: str) -> Call:
        return Call.objects.create(
            program=programs[closes.year],
            issuer=issuer,
            reference=ref,
            title=ref,
            funds=Decimal("500000"),
            max_request=Decimal("300000"),
            opens_on=date(closes.year, 1, 1),
            closes_on=closes,
            state=state,
        )

    def application(ref: str, k: Call, agency: Any, communities: list[Any], category: str, state: str, day: date):
        app = Application.objects.create(
            call=k,
            lead_agency=agency,
            reference=ref,
            title=ref,
            category=cat[category],
            requested=Decimal("100000"),
            state=state,
            submitted_at=datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI),
        )
        app.communities.set(communities)
        return app

    def need(community: Any, category: str, priority: int | None) -> Need:
        return Need.objects.create(
            community=community,
            title=f"need of {community.name}",
            category=cat[category],
            raised_on=date(2023, 11, 1),
            state=Need.State.PRIORITISED if priority else Need.State.CONSULTED,
            priority=priority,
        )

    def contract(number: str, app: Application, amount: str, starts: date, state: str, matching: str = "0") -> Contract:
        award_list = AwardList.objects.create(call=app.call, state=AwardList.State.DECIDED, total=Decimal(amount))
        award = Award.objects.create(
            award_list=award_list, application=app, amount=Decimal(amount), state=Award.State.CONFIRMED
        )
        made = Contract.objects.create(
            award=award,
            number=number,
            title=number,
            purchaser=app.call.issuer,
            agency=app.lead_agency,
            category=app.category,
            amount=Decimal(amount),
            matching_funds=Decimal(matching),
            starts_on=starts,
            ends_on=date(starts.year + 1, starts.month, 1),
            state=state,
        )
        made.communities.set(app.communities.all())
        return made

    E, A, N, W, X = (
        Application.State.ELIGIBLE,
        Application.State.AWARDED,
        Application.State.NOT_AWARDED,
        Application.State.WITHDRAWN,
        Application.State.INELIGIBLE,
    )
    decided, review, cancelled = Call.State.DECIDED, Call.State.REVIEW, Call.State.CANCELLED
    k1_call = call("K1", S, date(2024, 3, 1), decided)
    k2_call = call("K2", S, date(2025, 2, 28), decided)
    k3_call = call("K3", S, date(2025, 9, 30), review)
    k4_call = call("K4", T, date(2025, 2, 28), decided)
    k5_call = call("K5", S, date(2025, 5, 30), cancelled)
    k6_call = call("K6", D, date(2025, 3, 15), decided)

    A1 = application("A1", k1_call, a0, [c0], "elderly", A, date(2024, 2, 10))
    application("A2", k1_call, a1, [c1], "youth", N, date(2024, 2, 11))
    application("A3", k1_call, a2, [c0], "youth", X, date(2024, 2, 12))
    B1 = application("B1", k2_call, a0, [c0, c1], "elderly", A, date(2025, 2, 1))
    B2 = application("B2", k2_call, a1, [c1], "youth", A, date(2025, 2, 2))
    application("B3", k2_call, a2, [c0], "disability", N, date(2025, 2, 3))
    application("B4", k2_call, a2, [c1], "elderly", W, date(2025, 2, 4))
    application("C1", k3_call, a1, [c0], "youth", E, date(2025, 9, 1))
    application("C2", k3_call, a0, [c1], "elderly", E, date(2025, 9, 2))
    D1 = application("D1", k4_call, a2, [c2], "disability", A, date(2025, 2, 5))
    application("E1", k5_call, a0, [c0], "elderly", W, date(2025, 5, 1))
    F1 = application("F1", k6_call, a2, [c1], "youth", A, date(2025, 3, 1))
    G1 = application("G1", k6_call, a0, [c0], "elderly", A, date(2025, 3, 2))

    A1.needs.set([need(c0, "elderly", 1)])
    B1.needs.set([need(c1, "elderly", None)])
    B2.needs.set([need(c1, "youth", 2)])
    F1.needs.set([need(c0, "youth", 1)])
    for source, amount in ((FundSource.COMMUNITY, "20000"), (FundSource.AGENCY, "5000")):
        MatchingFund.objects.create(application=B2, source=source, amount=Decimal(amount))

    S_ = Contract.State
    k = {
        "k1": contract("k1", A1, "100000", date(2024, 4, 1), S_.COMPLETED, matching="10000"),
        "k2": contract("k2", B1, "200000", date(2025, 4, 1), S_.ACTIVE),
        "k3": contract("k3", B2, "100000", date(2025, 4, 1), S_.ACTIVE, matching="20000"),
        "k4": contract("k4", D1, "50000", date(2025, 4, 1), S_.ACTIVE),
        "k5": contract("k5", F1, "60000", date(2025, 5, 1), S_.ACTIVE),
        "k6": contract("k6", G1, "999", date(2025, 6, 1), S_.DRAFT),
    }
    for key, day, hours, residents in (
        ("k1", date(2024, 5, 1), "10", 20),
        ("k1", date(2024, 11, 1), "5.5", 4),
        ("k1", date(2025, 1, 15), "2", 3),
        ("k2", date(2025, 5, 1), "8", 10),
        ("k4", date(2025, 5, 1), "100", 100),
        ("k6", date(2025, 6, 2), "1000", 1000),
    ):
        ServiceRecord.objects.create(
            contract=k[key],
            kind="group",
            held_on=day,
            title="活动",
            volunteer_hours=Decimal(hours),
            resident_participants=residents,
        )
    Ev = Evaluation
    for key, kind, state, score, day in (
        ("k1", Ev.Kind.MIDTERM, Ev.State.ACCEPTED, "50", date(2024, 10, 1)),
        ("k1", Ev.Kind.FINAL, Ev.State.ACCEPTED, "85", date(2025, 3, 20)),
        ("k3", Ev.Kind.FINAL, Ev.State.SUBMITTED, "40", date(2025, 12, 1)),
        ("k5", Ev.Kind.FINAL, Ev.State.ACCEPTED, "55", date(2025, 12, 20)),
        ("k4", Ev.Kind.FINAL, Ev.State.ACCEPTED, "92", date(2025, 12, 10)),
    ):
        Evaluation.objects.create(
            contract=k[key],
            evaluator=world.evaluator_org,
            kind=kind,
            state=state,
            score=Decimal(score),
            submitted_on=day,
        )
    return History(
        street=S.pk,
        other_street=T.pk,
        department=D.pk,
        communities=[c.pk for c in world.communities],
        agencies=[a.pk for a in world.agencies],
        categories={code: c.pk for code, c in cat.items()},
        contracts={key: c.pk for key, c in k.items()},
    )


@pytest.fixture(scope="module")
def history(module_world: World, django_db_blocker: Any) -> Iterator[History]:
    with kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            built = _build(reload(module_world))
        yield built
