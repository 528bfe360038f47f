"""Proposing awards within a call's budget, publicity, objections and the decision."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from grassroots.applications.models import Application
from grassroots.awards import services as award_services
from grassroots.awards.models import Award, AwardList, Objection
from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation
from grassroots.funding.models import Call
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal


def ranked_call(world: w.World, requests_and_scores: list[tuple[int, str, str]], funds: str = "300000.00") -> Call:
    """A call whose panel has closed: (agency, request, score) per application, one reviewer each."""
    call = w.open_street_call(world, w.open_program(world), funds=funds, reviewers_per_application=1)
    scores = {}
    for agency, requested, score in requests_and_scores:
        scores[w.submitted_application(world, call, agency=agency, requested=requested).pk] = score
    w.review_call(world, call, scores)
    return call


@pytest.fixture
def call(world: w.World) -> Call:
    return ranked_call(world, [(1, "120000.00", "90"), (2, "100000.00", "85"), (1, "90000.00", "80")])


@pytest.mark.parametrize("rule", ["rank_order", "max_total_score"])
def test_proposed_awards_never_exceed_the_calls_budget(world: w.World, rule: str) -> None:
    call = ranked_call(
        world,
        [
            (1, "140000.00", "95"),
            (2, "130000.00", "91"),
            (1, "99999.99", "88"),
            (2, "75000.00", "72"),
            (1, "60000.01", "65"),
        ],
        funds="300000.00",
    )
    award_list = award_services.propose_awards(world.street_officer, call, rule)
    awards = list(award_list.awards.all())
    assert award_list.state == AwardList.State.PROPOSED
    assert award_list.total == sum((a.amount for a in awards), D(0)) <= call.budget
    assert all(a.amount == a.application.requested for a in awards)
    assert len(award_list.reasons) == 5 - len(awards)


def test_the_street_matching_funds_count_towards_the_calls_budget(world: w.World) -> None:
    call = w.open_street_call(
        world, w.open_program(world), funds="100000.00", matching_funds="20000.00", reviewers_per_application=1
    )
    first = w.submitted_application(world, call, agency=1, requested="70000.00")
    second = w.submitted_application(world, call, agency=2, requested="50000.00")
    w.review_call(world, call, {first.pk: "90", second.pk: "80"})
    award_list = award_services.propose_awards(world.street_officer, call)
    assert award_list.total == D("120000.00") == call.budget


def test_awards_wait_for_the_panel(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world))
    with w.refused(RuleViolation, match="after the panel closes"):
        award_services.propose_awards(world.street_officer, call)


def test_a_call_has_one_live_award_list(world: w.World, call: Call) -> None:
    award_services.propose_awards(world.street_officer, call)
    with w.refused(RuleViolation, match="already has an award list"):
        award_services.propose_awards(world.street_officer, call, "max_total_score")


def test_publicity_lasts_working_days(world: w.World, call: Call) -> None:
    award_list = award_services.propose_awards(world.street_officer, call)
    friday = date(2025, 3, 14)
    award_services.start_publicity(world.street_officer, award_list, starts_on=friday, working_days=5)
    assert award_list.publicity_until == date(2025, 3, 21)
    assert award_services.add_working_days(friday, 1) == date(2025, 3, 17)
    with w.refused(IllegalTransition):
        award_services.start_publicity(world.street_officer, award_list, starts_on=friday)


def test_a_list_not_in_publicity_cannot_be_decided(world: w.World, call: Call) -> None:
    award_list = award_services.propose_awards(world.street_officer, call)
    with w.refused(IllegalTransition, match="Only a publicised list"):
        w.decide(world, award_list)


def test_no_decision_before_the_publicity_period_ends(world: w.World, call: Call) -> None:
    award_list = w.publicise(world, call)
    with w.refused(RuleViolation, match="publicity period runs until"):
        award_services.decide(world.dept_officer, award_list, on=w.DECISION_DAY - timedelta(days=1))


def test_no_decision_while_an_objection_is_open(world: w.World, call: Call) -> None:
    award_list = w.publicise(world, call)
    objection = award_services.raise_objection(world.residents[0][0], award_list, "评审过程不公开。")
    with w.refused(RuleViolation, match="Answer every objection"):
        w.decide(world, award_list)
    award_services.answer_objection(world.street_officer, objection, uphold=False, response="评审依规进行。")
    w.decide(world, award_list)
    assert award_list.state == AwardList.State.DECIDED


def test_deciding_twice_is_an_illegal_transition(world: w.World, call: Call) -> None:
    award_list = w.decide(world, w.publicise(world, call))
    with w.refused(IllegalTransition):
        w.decide(world, award_list)


def test_the_decision_confirms_the_awards_and_answers_every_application(world: w.World, call: Call) -> None:
    award_list = w.decide(world, w.publicise(world, call))
    call.refresh_from_db()
    assert call.state == Call.State.DECIDED
    confirmed = {a.application_id for a in award_list.awards.filter(state=Award.State.CONFIRMED)}
    for application in Application.objects.filter(call=call):
        expected = Application.State.AWARDED if application.pk in confirmed else Application.State.NOT_AWARDED
        assert application.state == expected
    assert award_list.total == D("220000.00")


def test_the_decision_refuses_awards_beyond_the_budget_even_if_the_list_was_tampered_with(
    world: w.World, call: Call
) -> None:
    award_list = w.publicise(world, call)
    Award.objects.filter(award_list=award_list).update(amount=D("200000.00"))  # behind the services' back
    with w.refused(RuleViolation, match="exceed the call's budget"):
        w.decide(world, award_list)


def test_objections_are_taken_only_during_publicity(world: w.World, call: Call) -> None:
    award_list = award_services.propose_awards(world.street_officer, call)
    with w.refused(RuleViolation, match="only during the publicity period"):
        award_services.raise_objection(world.residents[0][0], award_list, "太早了")


def test_an_objection_needs_a_person_words_and_an_award_of_this_list(world: w.World, call: Call) -> None:
    award_list = w.publicise(world, call)
    with w.refused(Forbidden):
        award_services.raise_objection(world.admin, award_list, "superuser without a person")
    with w.refused(RuleViolation, match="Say what"):
        award_services.raise_objection(world.residents[0][0], award_list, "   ")
    other = ranked_call(world, [(2, "10000.00", "90")])
    other_list = w.publicise(world, other)
    with w.refused(RuleViolation, match="not on this list"):
        award_services.raise_objection(world.residents[0][0], award_list, "错配", award=other_list.awards.get())


def test_an_upheld_objection_revokes_the_award_and_returns_its_money(world: w.World, call: Call) -> None:
    award_list = w.publicise(world, call)
    award = award_list.awards.order_by("-amount").first()
    assert award is not None
    objection = award_services.raise_objection(world.residents[1][1], award_list, "资质造假", award=award)
    with w.refused(RuleViolation, match="Answer the objection"):
        award_services.answer_objection(world.street_officer, objection, uphold=True, response=" ")
    award_services.answer_objection(world.street_officer, objection, uphold=True, response="查实，撤销。")
    award.refresh_from_db()
    award_list.refresh_from_db()
    assert (objection.state, award.state) == (Objection.State.UPHELD, Award.State.REVOKED)
    assert award_list.total == D("220000.00") - award.amount
    with w.refused(IllegalTransition):
        award_services.answer_objection(world.street_officer, objection, uphold=False, response="改判")
    w.decide(world, award_list)
    award.application.refresh_from_db()
    assert award.application.state == Application.State.NOT_AWARDED
