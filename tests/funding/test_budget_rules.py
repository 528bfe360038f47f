"""Programs, envelopes and calls: the money of a program is never committed twice, and bad input writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grassroots.core.errors import IllegalTransition, RuleViolation, ValidationError
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Envelope, Program
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal


def test_envelopes_fill_the_program_to_the_last_cent_and_no_further(world: w.World) -> None:
    program = w.open_program(world, budget="1000000.00")
    allocate = funding_services.allocate_envelope
    allocate(world.dept_officer, program=program, street=world.street, amount="600000.00")
    with w.refused(RuleViolation, match=r"exceeds what is left of the program's budget \(400000.00\)"):
        allocate(world.dept_officer, program=program, street=world.other_street, amount="400000.01")
    allocate(world.dept_officer, program=program, street=world.other_street, amount="400000.00")
    assert funding_services.committed(program) == program.budget


def test_a_direct_call_counts_against_the_program_and_envelopes_against_it(world: w.World) -> None:
    program = w.open_program(world, budget="500000.00")
    w.open_direct_call(world, program, funds="300000.00")
    with w.refused(RuleViolation, match="exceeds"):
        funding_services.allocate_envelope(world.dept_officer, program=program, street=world.street, amount="200000.01")
    with w.refused(RuleViolation, match=r"exceed what is left \(200000.00\)"):
        w.open_direct_call(world, program, funds="200000.01")


def test_no_call_beyond_its_envelope(world: w.World) -> None:
    program = w.open_program(world)
    call = w.open_street_call(world, program, envelope="300000.00", funds="200000.00")
    envelope = call.envelope
    with w.refused(RuleViolation, match=r"exceed what is left \(100000.00\)"):
        funding_services.create_call(
            world.street_officer,
            program=program,
            envelope=envelope,
            title="第二批",
            funds="100000.01",
            opens_on=w.CALL_OPENS,
            closes_on=w.CALL_CLOSES,
            categories=[world.categories["elderly"]],
            criteria=w.CRITERIA,
        )
    assert funding_services.envelope_committed(envelope) == D("200000.00")


def test_a_street_gets_one_envelope_per_program(world: w.World) -> None:
    program = w.open_program(world)
    funding_services.allocate_envelope(world.dept_officer, program=program, street=world.street, amount="1000.00")
    with w.refused(RuleViolation, match="already has an envelope"):
        funding_services.allocate_envelope(world.dept_officer, program=program, street=world.street, amount="1.00")


def test_an_envelope_goes_to_a_street_of_the_department(world: w.World) -> None:
    program = w.open_program(world)
    with w.refused(RuleViolation, match="is not a street office"):
        funding_services.allocate_envelope(
            world.dept_officer, program=program, street=world.communities[0], amount="1000.00"
        )


def test_a_closed_program_takes_no_envelope_and_a_draft_one_no_call(world: w.World) -> None:
    draft = funding_services.create_program(
        world.dept_officer,
        department=world.department,
        title="草稿",
        fiscal_year=w.FY,
        budget="1000.00",
        categories=[world.categories["elderly"]],
    )
    with w.refused(RuleViolation, match="only on an open program"):
        w.open_direct_call(world, draft, funds="10.00")
    funding_services.open_program(world.dept_officer, draft)
    funding_services.close_program(world.dept_officer, draft)
    with w.refused(RuleViolation, match="closed"):
        funding_services.allocate_envelope(world.dept_officer, program=draft, street=world.street, amount="10.00")


@pytest.mark.parametrize(
    ("budget", "error", "match"),
    [
        (1000.5, ValidationError, "not as a float"),
        ("1000.005", ValidationError, "two decimal places"),
        ("一千元", ValidationError, "not an amount"),
        ("1e30", ValidationError, "too large"),
        ("0", RuleViolation, "positive budget"),
        ("-10.00", RuleViolation, "positive budget"),
    ],
)
def test_a_program_budget_must_be_a_positive_amount(world: w.World, budget: object, error: type, match: str) -> None:
    with w.refused(error, match=match):
        w.open_program(world, budget=budget)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [600000.0, "600000.001", "six hundred thousand", "0.00"])
def test_an_envelope_amount_must_be_a_positive_amount(world: w.World, amount: object) -> None:
    program = w.open_program(world)
    with w.refused(ValidationError):
        funding_services.allocate_envelope(world.dept_officer, program=program, street=world.street, amount=amount)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tranche_percents": ("30", "30", "30")}, "add up to 100"),
        ({"tranche_percents": ("50", "60", "-10")}, "positive share"),
        ({"grade_factors": {"excellent": "1", "good": "1", "pass": "0.8"}}, "factor for each grade"),
        ({"grade_factors": {"excellent": "1.2", "good": "1", "pass": "0.8", "fail": "0"}}, "between 0 and 1"),
        ({"max_term_months": 48}, "between 1 and 36"),
        ({"categories": []}, "at least one service category"),
    ],
)
def test_a_program_needs_a_coherent_schedule(world: w.World, kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {
        "department": world.department,
        "title": "规则不全",
        "fiscal_year": w.FY,
        "budget": "1000.00",
        "categories": [world.categories["elderly"]],
        **kwargs,
    }
    with w.refused(RuleViolation, match=match):
        funding_services.create_program(world.dept_officer, **arguments)  # type: ignore[arg-type]


def test_only_a_department_issues_programs(world: w.World) -> None:
    with w.refused(RuleViolation, match="Only a purchasing department"):
        funding_services.create_program(
            world.dept_officer,
            department=world.street,
            title="街道自己的项目",
            fiscal_year=w.FY,
            budget="1000.00",
            categories=[world.categories["elderly"]],
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"criteria": [("only", "", "60"), ("half", "", "30")]}, "add up to 100"),
        ({"criteria": [("a", "", "100"), ("b", "", "0")]}, "positive weights"),
        ({"criteria": []}, "positive weights"),
        ({"closes_on": w.CALL_OPENS.replace(day=1, month=1)}, "close before it opens"),
        ({"reviewers_per_application": 0}, "at least one reviewer"),
        ({"matching_funds": "-1.00"}, "cannot be negative"),
        ({"funds": "0"}, "positive amount"),
    ],
)
def test_a_call_needs_coherent_rules(world: w.World, kwargs: dict[str, object], match: str) -> None:
    program = w.open_program(world)
    arguments: dict[str, object] = {
        "program": program,
        "title": "规则不全的指南",
        "funds": "1000.00",
        "opens_on": w.CALL_OPENS,
        "closes_on": w.CALL_CLOSES,
        "categories": [world.categories["elderly"]],
        "criteria": w.CRITERIA,
        **kwargs,
    }
    with w.refused(RuleViolation, match=match):
        funding_services.create_call(world.dept_officer, **arguments)  # type: ignore[arg-type]


def test_a_call_funds_only_its_programs_categories(world: w.World) -> None:
    program = funding_services.create_program(
        world.dept_officer,
        department=world.department,
        title="只做为老服务",
        fiscal_year=w.FY,
        budget="1000.00",
        categories=[world.categories["elderly"]],
    )
    funding_services.open_program(world.dept_officer, program)
    with w.refused(RuleViolation, match="from its program's categories"):
        w.open_direct_call(world, program, funds="10.00")  # asks for every category


def test_a_call_envelope_must_belong_to_the_program(world: w.World) -> None:
    first = w.open_program(world, title="第一个")
    second = w.open_program(world, title="第二个")
    envelope = funding_services.allocate_envelope(
        world.dept_officer, program=first, street=world.street, amount="1000.00"
    )
    with w.refused(RuleViolation, match="belongs to another program"):
        funding_services.create_call(
            world.street_officer,
            program=second,
            envelope=envelope,
            title="错配",
            funds="10.00",
            opens_on=w.CALL_OPENS,
            closes_on=w.CALL_CLOSES,
            categories=[world.categories["elderly"]],
            criteria=w.CRITERIA,
        )


def test_calls_get_distinct_references(world: w.World) -> None:
    program = w.open_program(world)
    first = w.open_direct_call(world, program, funds="10.00")
    second = w.open_direct_call(world, program, funds="10.00")
    street = w.open_street_call(world, program, funds="10.00", envelope="100.00")
    assert len({first.reference, second.reference, street.reference}) == 3
    assert first.reference.startswith(f"{w.FY}-")


def test_opening_twice_is_an_illegal_transition(world: w.World) -> None:
    program = w.open_program(world)
    call = w.open_direct_call(world, program)
    with w.refused(IllegalTransition):
        funding_services.open_program(world.dept_officer, program)
    with w.refused(IllegalTransition):
        funding_services.open_call(world.dept_officer, call)
    assert Program.objects.get(pk=program.pk).state == Program.State.OPEN
    assert Call.objects.get(pk=call.pk).state == Call.State.OPEN


def test_a_cancelled_call_needs_a_reason_and_stays_cancelled(world: w.World) -> None:
    program = w.open_program(world)
    call = w.open_direct_call(world, program)
    with w.refused(RuleViolation, match="why"):
        funding_services.cancel_call(world.dept_officer, call, "  ")
    funding_services.cancel_call(world.dept_officer, call, "预算调整")
    with w.refused(IllegalTransition):
        funding_services.open_call(world.dept_officer, Call.objects.get(pk=call.pk))


def test_tranche_amounts_follow_the_programs_schedule(world: w.World) -> None:
    program = w.open_program(world, tranche_percents=("20", "50", "30"))
    assert funding_services.tranche_amounts(program, D("99999.99")) == [D("20000.00"), D("50000.00"), D("29999.99")]
    assert not Envelope.objects.filter(program=program).exists()
