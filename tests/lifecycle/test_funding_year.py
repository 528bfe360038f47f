"""A whole funding year through the services: needs → program → calls → applications → review → awards →
contracts → delivery → evaluation → payments, checking every state and every sum on the way and at the end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.awards import allocation
from grassroots.awards import services as award_services
from grassroots.awards.models import Award, AwardList, Objection
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract, Milestone, Payment, Tranche
from grassroots.core.audit import verify
from grassroots.core.i18n import render_message
from grassroots.core.models import AuditEvent
from grassroots.delivery import services as delivery_services
from grassroots.evaluation.models import Evaluation, PerformanceRecord
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Program
from grassroots.needs import services as needs_services
from grassroots.needs.models import Need
from grassroots.review.models import Conflict, Review
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal


def consult_needs(world: w.World) -> tuple[Need, Need]:
    """Residents of the first community raise two needs; a meeting prioritises the meal service."""
    elderly, youth = world.categories["elderly"], world.categories["youth"]
    community = world.communities[0]
    alice, bob = world.residents[0]
    meals = needs_services.raise_need(
        alice,
        community=community,
        title="老年人助餐",
        category=elderly,
        raised_on=date(2025, 1, 6),
        people_affected=120,
    )
    playground = needs_services.raise_need(
        bob, community=community, title="儿童课后看护", category=youth, raised_on=date(2025, 1, 7), people_affected=40
    )
    worker = world.community_workers[0]
    meeting = needs_services.plan_meeting(
        worker,
        community=community,
        title="2025年第一次居民议事会",
        held_on=date(2025, 1, 15),
        agenda=[meals, playground],
        participants=[(alice.person, "resident"), (bob.person, "resident")],
        quorum=2,
        priorities=1,
        approvals=1,
    )
    needs_services.open_voting(worker, meeting)
    needs_services.cast_ballot(alice, meeting, {meals.pk: 1})
    needs_services.cast_ballot(bob, meeting, {meals.pk: 1})
    standings = needs_services.close_meeting(worker, meeting, minutes="助餐需求得票最多。")
    assert [(s.need_id, s.points, s.rank) for s in standings] == [(meals.pk, 2, 1), (playground.pk, 0, 2)]
    meals.refresh_from_db()
    playground.refresh_from_db()
    assert (meals.state, meals.priority) == (Need.State.PRIORITISED, 1)
    assert playground.state == Need.State.CONSULTED
    return meals, playground


def run_contract(
    world: w.World,
    contract: Contract,
    *,
    final_score: str,
    evaluation_before_milestone: bool = False,
) -> None:
    """Deliver a contract over its term: milestones, payments, services, spending and both evaluations."""
    manager = world.manager_of(contract.agency)
    worker = world.social_workers[world.agencies.index(contract.agency)][0]

    w.accept_milestone(world, contract, Milestone.Kind.START, date(2025, 4, 15))
    assert w.tranche(contract, 1).state == Tranche.State.PAYABLE
    assert w.tranche(contract, 2).state == Tranche.State.PLANNED
    w.pay(world, contract, 1, date(2025, 4, 20))

    delivery_services.record_service(
        worker.user,
        contract,
        kind="group",
        held_on=date(2025, 5, 10),
        title="长者健康小组第一节",
        social_workers=[worker],
        beneficiaries=12,
        service_hours="2.5",
        volunteers=3,
        volunteer_hours="6",
        resident_participants=10,
    )
    line = contract.lines.get(head="activities")
    delivery_services.record_expenditure(
        manager, contract, line=line, spent_on=date(2025, 5, 10), amount="5000.00", description="活动物资"
    )

    w.evaluate(world, contract, Evaluation.Kind.MIDTERM, "82", date(2025, 9, 20))
    w.accept_milestone(world, contract, Milestone.Kind.MIDTERM, date(2025, 10, 1))
    w.pay(world, contract, 2, date(2025, 10, 10))

    if evaluation_before_milestone:
        # The grade arrives first: the last tranche waits for the final milestone as well.
        w.evaluate(world, contract, Evaluation.Kind.FINAL, final_score, date(2026, 3, 10))
        assert w.tranche(contract, 3).state == Tranche.State.PLANNED
        w.accept_milestone(world, contract, Milestone.Kind.FINAL, date(2026, 3, 20))
    else:
        w.accept_milestone(world, contract, Milestone.Kind.FINAL, date(2026, 3, 20))
        # The milestone is accepted but the grade is not known yet: nothing is payable.
        assert w.tranche(contract, 3).state == Tranche.State.PLANNED
        w.evaluate(world, contract, Evaluation.Kind.FINAL, final_score, date(2026, 3, 25))
    last = w.tranche(contract, 3)
    if last.state == Tranche.State.PAYABLE:
        w.pay(world, contract, 3, date(2026, 3, 31))


def test_a_whole_funding_year(world: w.World) -> None:
    meals, playground = consult_needs(world)

    # --- issue: the department opens the year's program ---------------------------------------
    program = w.open_program(world, budget="1000000.00")
    assert program.state == Program.State.OPEN
    assert program.tranche_percents == ["30", "40", "30"]

    # --- bundle: a street call on an envelope (with matching funds) and a direct department call ----
    street_call = w.open_street_call(
        world,
        program,
        envelope="600000.00",
        funds="300000.00",
        matching_funds="20000.00",
        max_request="150000.00",
        needs=[meals],
    )
    direct_call = w.open_direct_call(world, program, funds="200000.00")
    assert street_call.state == direct_call.state == Call.State.OPEN
    assert street_call.issuer == world.street and direct_call.issuer == world.department
    assert street_call.budget == D("320000.00") and direct_call.budget == D("200000.00")
    assert funding_services.committed(program) == D("800000.00") <= program.budget
    assert funding_services.envelope_committed(street_call.envelope) == D("300000.00")

    # --- grab: joint applications --------------------------------------------------------------
    c0, c1, c2 = world.communities
    apply = w.submitted_application
    s1 = apply(world, street_call, agency=0, requested="123456.78", matching="10000.00", needs=[meals])
    s2 = apply(world, street_call, agency=1, requested="100000.00", category="youth", communities=[c1])
    s3 = apply(world, street_call, agency=2, requested="110000.00", communities=[c0, c1])
    s4 = apply(world, street_call, agency=1, requested="90000.00", category="disability")
    s5 = apply(world, street_call, agency=2, requested="80000.00", category="youth", management_share="0.20")
    s6 = apply(world, street_call, agency=0, requested="60000.00", category="youth")
    left_in_draft = w.draft_application(world, street_call, agency=2, requested="50000.00")
    d1 = apply(world, direct_call, agency=2, requested="120000.00", category="disability", communities=[c2])
    d2 = apply(world, direct_call, agency=0, requested="100000.00", communities=[c0, c2])
    d3 = apply(world, direct_call, agency=1, requested="95000.00", category="youth", communities=[c2])
    street_apps = [s1, s2, s3, s4, s5, s6]
    assert all(a.state == Application.State.SUBMITTED for a in [*street_apps, d1, d2, d3])
    assert s1.requested == D("123456.78")  # the budget is the request plus the community's matching funds
    assert sum((line.amount for line in s1.budget_lines.all()), D(0)) == D("133456.78")

    # --- review: eligibility, conflicts, assignment, blind scoring, ranking ---------------------
    ranking = w.review_call(world, street_call, {s1.pk: "90", s2.pk: "85", s3.pk: "80", s4.pk: "70", s6.pk: "55"})
    for a in [*street_apps, left_in_draft]:
        a.refresh_from_db()
    assert s5.state == Application.State.INELIGIBLE
    assert any("management fee is 20.0%" in render_message(note) for note in s5.eligibility_notes)
    assert left_in_draft.state == Application.State.DRAFT  # never submitted: not screened
    assert [a.reference for a in ranking] == [a.reference for a in (s1, s2, s3, s4, s6)]
    assert [(a.rank, a.score) for a in (s1, s2, s3, s4, s6)] == [
        (1, D("90.00")),
        (2, D("85.00")),
        (3, D("80.00")),
        (4, D("70.00")),
        (5, D("55.00")),
    ]
    street_reviews = Review.objects.filter(application__call=street_call)
    assert street_reviews.count() == 5 * 3
    assert all(r.state == Review.State.SUBMITTED for r in street_reviews)
    for application in (s1, s6):  # agency 0 employs expert 0
        assert Conflict.objects.filter(expert=world.experts[0], application=application).exists()
        assert not street_reviews.filter(application=application, expert=world.experts[0]).exists()
    for expert in world.experts:
        assert street_reviews.filter(expert=expert).count() <= expert.capacity
    assert street_call.state == Call.State.AWARDING

    w.review_call(world, direct_call, {d1.pk: "90", d2.pk: "85", d3.pk: "80"})
    assert direct_call.state == Call.State.AWARDING

    # --- award: rank order on the street call, largest total score on the direct call -----------
    street_list = w.publicise(world, street_call, "rank_order")
    assert street_list.state == AwardList.State.PUBLICITY
    assert (street_list.publicity_from, street_list.publicity_until) == (w.PUBLICITY_START, w.DECISION_DAY)
    assert {a.application_id for a in street_list.awards.all()} == {s1.pk, s2.pk, s4.pk}
    assert street_list.total == D("313456.78") <= street_call.budget
    assert "does not fit the remaining budget" in render_message(street_list.reasons[s3.reference])
    assert render_message(street_list.reasons[s6.reference]) == "below the minimum score 60"

    direct_list = w.publicise(world, direct_call, "max_total_score")
    assert {a.application_id for a in direct_list.awards.all()} == {d2.pk, d3.pk}
    assert direct_list.total == D("195000.00") <= direct_call.budget
    assert "largest total score" in render_message(direct_list.reasons[d1.reference])
    # Rank order would have funded only the top application: the two rules really differ here.
    bids = [allocation.Bid(a.reference, a.requested, D(s)) for a, s in ((d1, "90"), (d2, "85"), (d3, "80"))]
    assert allocation.allocate("rank_order", bids, direct_call.budget, D("60")).funded == [d1.reference]

    # --- publicity: one objection dismissed, one upheld (which revokes an award) ----------------
    s4_award = street_list.awards.get(application=s4)
    dismissed = award_services.raise_objection(world.residents[1][0], street_list, "该机构已有项目。", award=s4_award)
    award_services.answer_objection(
        world.street_officer, dismissed, uphold=False, response="同一机构可承接多个项目，申报符合指南。"
    )
    d3_award = direct_list.awards.get(application=d3)
    upheld = award_services.raise_objection(
        world.residents[2][0], direct_list, "项目负责人已全职受雇于他处。", d3_award
    )
    award_services.answer_objection(world.dept_officer, upheld, uphold=True, response="经核实属实，撤销该项目立项。")
    dismissed.refresh_from_db()
    upheld.refresh_from_db()
    d3_award.refresh_from_db()
    direct_list.refresh_from_db()
    assert dismissed.state == Objection.State.DISMISSED and dismissed.response
    assert upheld.state == Objection.State.UPHELD
    assert d3_award.state == Award.State.REVOKED
    assert direct_list.total == D("100000.00")

    # --- decision ---------------------------------------------------------------------------------
    w.decide(world, street_list)
    w.decide(world, direct_list)
    for call in (street_call, direct_call):
        call.refresh_from_db()
        assert call.state == Call.State.DECIDED
    for award_list in (street_list, direct_list):
        award_list.refresh_from_db()
        assert (award_list.state, award_list.decided_on) == (AwardList.State.DECIDED, w.DECISION_DAY)
        confirmed = award_list.awards.filter(state=Award.State.CONFIRMED)
        assert award_list.total == sum((a.amount for a in confirmed), D(0)) <= award_list.call.budget
    expected = {
        s1: Application.State.AWARDED,
        s2: Application.State.AWARDED,
        s3: Application.State.NOT_AWARDED,
        s4: Application.State.AWARDED,
        s5: Application.State.INELIGIBLE,
        s6: Application.State.NOT_AWARDED,
        d1: Application.State.NOT_AWARDED,
        d2: Application.State.AWARDED,
        d3: Application.State.NOT_AWARDED,
    }
    for application, state in expected.items():
        application.refresh_from_db()
        assert application.state == state, application.reference

    # --- contracts --------------------------------------------------------------------------------
    awards = {a.application_id: a for a in Award.objects.filter(state=Award.State.CONFIRMED)}
    contracts = {app: w.signed_contract(world, awards[app.pk]) for app in (s1, s2, s4, d2)}
    for application, contract in contracts.items():
        assert contract.state == Contract.State.ACTIVE
        assert contract.amount == application.requested
        assert (contract.starts_on, contract.ends_on) == (w.CONTRACT_START, date(2026, 3, 31))
        assert contract.purchaser == application.call.issuer
        planned = [t.planned for t in contract.tranches.order_by("position")]
        assert sum(planned, D(0)) == contract.amount
    assert [t.planned for t in contracts[s1].tranches.order_by("position")] == [
        D("37037.03"),
        D("49382.71"),
        D("37037.04"),  # the last tranche takes the rounding remainder
    ]
    assert contracts[s1].matching_funds == D("10000.00")
    meals.refresh_from_db()
    playground.refresh_from_db()
    assert meals.state == Need.State.ADDRESSED  # the signed contract answers the consulted need
    assert playground.state == Need.State.CONSULTED

    # --- delivery, evaluation and payments --------------------------------------------------------
    grades = {s1: "95", s2: "65", s4: "50", d2: "85"}
    for application, contract in contracts.items():
        run_contract(world, contract, final_score=grades[application], evaluation_before_milestone=application == s1)

    # --- the year is over: close the program ------------------------------------------------------
    funding_services.close_program(world.dept_officer, program)

    # --- every state and every sum at the end -------------------------------------------------------
    program.refresh_from_db()
    assert program.state == Program.State.CLOSED
    expected_final = {
        # application: (grade, last tranche state, last tranche payable, total paid)
        s1: ("excellent", Tranche.State.PAID, D("37037.04"), D("123456.78")),
        s2: ("pass", Tranche.State.PAID, D("24000.00"), D("94000.00")),
        s4: ("fail", Tranche.State.WITHHELD, D("0.00"), D("63000.00")),
        d2: ("good", Tranche.State.PAID, D("30000.00"), D("100000.00")),
    }
    for application, (grade, last_state, last_payable, paid) in expected_final.items():
        contract = contracts[application]
        contract.refresh_from_db()
        assert contract.state == Contract.State.COMPLETED, contract.number
        assert all(m.state == Milestone.State.ACCEPTED for m in contract.milestones.all())
        tranches = list(contract.tranches.order_by("position"))
        assert [t.state for t in tranches[:2]] == [Tranche.State.PAID, Tranche.State.PAID]
        assert (tranches[2].state, tranches[2].payable) == (last_state, last_payable)
        payable_sum = sum((t.payable for t in tranches if t.state == Tranche.State.PAID), D(0))
        payments = Payment.objects.filter(tranche__contract=contract)
        assert contract_services.paid_total(contract) == payable_sum == paid <= contract.amount
        assert payments.count() == sum(1 for t in tranches if t.state == Tranche.State.PAID)
        evaluations = contract.evaluations.all()
        assert {(e.kind, e.state) for e in evaluations} == {
            (Evaluation.Kind.MIDTERM, Evaluation.State.ACCEPTED),
            (Evaluation.Kind.FINAL, Evaluation.State.ACCEPTED),
        }
        record = PerformanceRecord.objects.get(contract=contract)
        assert (record.agency, record.fiscal_year, record.grade) == (contract.agency, w.FY, grade)
        assert contract.service_records.count() == 1
        assert contract.expenditures.aggregate(s=Sum("amount"))["s"] == D("5000.00")

    # a pass releases 80% of the last tranche, a fail withholds it
    s2_last = contracts[s2].tranches.get(position=3)
    assert s2_last.payable == (s2_last.planned * D("0.8")).quantize(D("0.01"))
    total_paid = Payment.objects.aggregate(s=Sum("amount"))["s"]
    assert total_paid == D("123456.78") + D("94000.00") + D("63000.00") + D("100000.00")
    for call in (street_call, direct_call):
        awarded = Contract.objects.filter(award__award_list__call=call).aggregate(s=Sum("amount"))["s"]
        assert awarded <= call.budget
    assert Contract.objects.aggregate(s=Sum("amount"))["s"] <= program.budget

    # every payment and state change left its trace, and the chain is intact
    assert AuditEvent.objects.filter(action="payment.made").count() == Payment.objects.count() == 11
    assert AuditEvent.objects.filter(action="contract.completed").count() == 4
    result = verify()
    assert result.ok, result.problem
    assert result.checked == AuditEvent.objects.count()


def test_an_unanswered_call_can_be_cancelled_and_returns_its_money(world: w.World) -> None:
    program = w.open_program(world, budget="500000.00")
    call = w.open_direct_call(world, program, funds="400000.00")
    assert funding_services.committed(program) == D("400000.00")
    funding_services.cancel_call(world.dept_officer, call, "预算调整")
    assert call.state == Call.State.CANCELLED
    assert funding_services.committed(program) == D("0.00")
    # with the cancelled call's money back, a new envelope of the whole budget fits
    envelope = funding_services.allocate_envelope(
        world.dept_officer, program=program, street=world.street, amount="500000.00"
    )
    assert envelope.amount == D("500000.00")


def test_a_withdrawn_application_is_not_screened(world: w.World) -> None:
    program = w.open_program(world)
    call = w.open_street_call(world, program, reviewers_per_application=1)
    kept = w.submitted_application(world, call, agency=1)
    dropped = w.submitted_application(world, call, agency=2)
    application_services.withdraw(world.managers[2], dropped, "团队变动")
    w.review_call(world, call, {kept.pk: "75"})
    dropped.refresh_from_db()
    kept.refresh_from_db()
    assert dropped.state == Application.State.WITHDRAWN
    assert (kept.state, kept.rank) == (Application.State.ELIGIBLE, 1)
    assert not Review.objects.filter(application=dropped).exists()
