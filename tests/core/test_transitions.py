"""The one state-change helper: legal moves are saved and audited, illegal ones refused with a clear error."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps

from grassroots.core.errors import IllegalTransition, RuleViolation, ValidationError
from grassroots.core.models import AuditEvent
from grassroots.core.transitions import allowed, transition
from grassroots.funding.models import Program
from tests import world as w

pytestmark = pytest.mark.django_db


def test_illegal_transition_is_a_rule_violation_and_a_validation_error() -> None:
    assert issubclass(IllegalTransition, RuleViolation)
    assert issubclass(RuleViolation, ValidationError)


def test_a_legal_transition_saves_the_state_and_the_fields_and_audits_them(world: w.World) -> None:
    program = w.open_program(world)
    count = AuditEvent.objects.count()
    transition(program, Program.State.CLOSED, actor=world.dept_officer, reason="year over", fields={"title": "旧"})
    program.refresh_from_db()
    assert (program.state, program.title) == (Program.State.CLOSED, "旧")
    event = AuditEvent.objects.get(seq=count + 1)
    assert (event.action, event.reason) == ("program.closed", "year over")
    assert event.before == {"state": "open", "title": "2025年社区服务项目"}
    assert event.after == {"state": "closed", "title": "旧"}


def test_a_change_recorded_after_the_fact_carries_the_day_it_happened(world: w.World) -> None:
    program = w.open_program(world)
    transition(program, Program.State.CLOSED, actor=world.dept_officer, on=date(2024, 12, 31))
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.after == {"state": "closed", "on": "2024-12-31"}
    assert event.at.date() != date(2024, 12, 31)  # the log's own time is when it was written
    program.refresh_from_db()
    assert program.state == Program.State.CLOSED


def test_a_change_cannot_be_recorded_as_happening_in_the_future(world: w.World) -> None:
    program = w.open_program(world)
    count = AuditEvent.objects.count()
    with pytest.raises(RuleViolation, match="future"):
        transition(program, Program.State.CLOSED, actor=world.dept_officer, on=date.today() + timedelta(days=1))
    program.refresh_from_db()
    assert program.state != Program.State.CLOSED and AuditEvent.objects.count() == count


def test_an_illegal_transition_names_both_states_and_changes_nothing(world: w.World) -> None:
    program = w.open_program(world)
    transition(program, Program.State.CLOSED, actor=world.dept_officer)
    assert not allowed(program, Program.State.OPEN)
    with w.refused(IllegalTransition, match="cannot go from “Closed” to “Open”") as info:
        transition(program, Program.State.OPEN, actor=world.dept_officer, fields={"title": "reopened"})
    assert info.value.code == "illegal_transition"
    assert (program.state, program.title) == (Program.State.CLOSED, "2025年社区服务项目")


def test_every_state_machine_only_names_its_own_states() -> None:
    for model in apps.get_models():
        table = getattr(model, "TRANSITIONS", None)
        if table is None:
            continue
        states = {value for value, _label in model._meta.get_field("state").choices}
        assert set(table) == states, model
        for targets in table.values():
            assert targets <= states, model
