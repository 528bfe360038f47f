"""Joint applications: what a draft must name, when it may be submitted, and that it is submitted once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.core.errors import IllegalTransition, RuleViolation, ValidationError
from grassroots.funding.models import Call
from grassroots.review import services as review_services
from tests import world as w

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(world: w.World) -> Call:
    return w.open_street_call(world, w.open_program(world))


def test_the_request_is_the_budget_less_the_matching_funds(world: w.World, call: Call) -> None:
    application = w.draft_application(world, call, requested="80000.00", matching="20000.00")
    assert application.state == Application.State.DRAFT
    assert application.requested == Decimal("80000.00")
    assert sum((line.amount for line in application.budget_lines.all()), Decimal(0)) == Decimal("100000.00")
    assert application.reference == f"{call.reference}-A001"
    assert list(application.communities.all()) == [world.communities[0]]
    assert application.team.count() == 2 and application.indicators.count() == 2


def test_submitting_twice_is_an_illegal_transition(world: w.World, call: Call) -> None:
    application = w.submitted_application(world, call)
    with w.refused(IllegalTransition, match="cannot go from “Submitted” to “Submitted”"):
        application_services.submit(world.managers[0], application, on=w.SUBMITTED_ON)


def test_a_submission_needs_a_certified_social_worker(world: w.World, call: Call) -> None:
    agency = world.agencies[0]
    uncertified = world.social_workers[0][2]
    application = application_services.create_draft(
        world.managers[0],
        on=w.DRAFTED_ON,
        call=call,
        lead_agency=agency,
        title="没有持证社工的项目",
        category=world.categories["elderly"],
        communities=[world.communities[0]],
        team=[(uncertified, "lead")],
        indicators=[{"name": "活动", "target": 4}],
        budget_lines=w.budget_lines(Decimal("10000.00")),
    )
    with w.refused(RuleViolation, match="must hold a social-work certificate"):
        application_services.submit(world.managers[0], application, on=w.SUBMITTED_ON)


def test_a_submission_needs_a_partner_community(world: w.World, call: Call) -> None:
    application = w.draft_application(world, call, communities=[])
    with w.refused(RuleViolation, match="partner community"):
        application_services.submit(world.managers[0], application, on=w.SUBMITTED_ON)


def test_the_partner_communities_lie_in_the_calls_area(world: w.World, call: Call) -> None:
    outside = world.communities[2]  # belongs to the other street
    with w.refused(RuleViolation, match="is not a community of"):
        w.draft_application(world, call, communities=[outside])


def test_the_team_are_the_agencys_social_workers(world: w.World, call: Call) -> None:
    with w.refused(RuleViolation, match="is not a social worker of"):
        application_services.create_draft(
            world.managers[0],
            on=w.DRAFTED_ON,
            call=call,
            lead_agency=world.agencies[0],
            title="借来的社工",
            category=world.categories["elderly"],
            communities=[world.communities[0]],
            team=[(world.social_workers[1][0], "lead")],
            indicators=[{"name": "活动", "target": 4}],
            budget_lines=w.budget_lines(Decimal("10000.00")),
        )


@pytest.mark.parametrize(
    ("line", "error", "match"),
    [
        ({"head": "personnel", "description": "x", "amount": 5000.0}, ValidationError, "float"),
        ({"head": "personnel", "description": "x", "amount": "5000.001"}, ValidationError, "two decimal places"),
        ({"head": "personnel", "description": "x", "amount": "lots"}, ValidationError, "not an amount"),
        ({"head": "personnel", "description": "x", "amount": "-1.00"}, RuleViolation, "positive amount"),
        ({"head": "bribes", "description": "x", "amount": "1.00"}, RuleViolation, "Unknown budget head"),
    ],
)
def test_budget_lines_are_checked(world: w.World, call: Call, line: dict[str, object], error: type, match: str) -> None:
    with w.refused(error, match=match):
        application_services.create_draft(
            world.managers[0],
            on=w.DRAFTED_ON,
            call=call,
            lead_agency=world.agencies[0],
            title="预算有误",
            category=world.categories["elderly"],
            communities=[world.communities[0]],
            team=[(world.social_workers[0][0], "lead")],
            indicators=[{"name": "活动", "target": 4}],
            budget_lines=[line],
        )


def test_matching_funds_cannot_cover_the_whole_budget(world: w.World, call: Call) -> None:
    with w.refused(RuleViolation, match="nothing is requested"):
        application_services.create_draft(
            world.managers[0],
            on=w.DRAFTED_ON,
            call=call,
            lead_agency=world.agencies[0],
            title="全部自筹",
            category=world.categories["elderly"],
            communities=[world.communities[0]],
            team=[(world.social_workers[0][0], "lead")],
            indicators=[{"name": "活动", "target": 4}],
            budget_lines=w.budget_lines(Decimal("10000.00")),
            matching_funds=[{"source": "charity", "amount": "10000.00"}],
        )


def test_no_application_to_a_call_that_is_not_open(world: w.World) -> None:
    program = w.open_program(world)
    call = w.open_street_call(world, program)
    draft = w.draft_application(world, call, agency=1)
    w.submitted_application(world, call, agency=2)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    with w.refused(RuleViolation, match="not open for applications"):
        w.draft_application(world, call)
    with w.refused(RuleViolation, match="closed"):
        application_services.submit(world.managers[1], draft, on=w.SUBMITTED_ON)


def test_a_call_only_funds_its_categories(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), categories=["elderly"])
    with w.refused(RuleViolation, match="does not fund the category"):
        w.draft_application(world, call, category="youth")


def test_the_term_is_within_the_programs_limit(world: w.World, call: Call) -> None:
    with w.refused(RuleViolation, match="between 1 and 12 months"):
        application_services.create_draft(
            world.managers[0],
            on=w.DRAFTED_ON,
            call=call,
            lead_agency=world.agencies[0],
            title="太长",
            category=world.categories["elderly"],
            communities=[world.communities[0]],
            team=[(world.social_workers[0][0], "lead")],
            indicators=[{"name": "活动", "target": 4}],
            budget_lines=w.budget_lines(Decimal("10000.00")),
            term_months=18,
        )


def test_withdrawing_is_final(world: w.World, call: Call) -> None:
    application = w.submitted_application(world, call)
    application_services.withdraw(world.managers[0], application, "人员变动")
    assert application.state == Application.State.WITHDRAWN
    with w.refused(IllegalTransition):
        application_services.withdraw(world.managers[0], application)
    with w.refused(IllegalTransition):
        application_services.submit(world.managers[0], application, on=w.SUBMITTED_ON)


def test_an_application_needs_a_budget_line(world: w.World, call: Call) -> None:
    with w.refused(RuleViolation, match="Add at least one budget line"):
        application_services.create_draft(
            world.managers[0],
            on=w.DRAFTED_ON,
            call=call,
            lead_agency=world.agencies[0],
            title="没有预算",
            category=world.categories["elderly"],
            communities=[world.communities[0]],
            team=[(world.social_workers[0][0], "lead")],
            indicators=[{"name": "活动", "target": 4}],
            budget_lines=[],
        )
