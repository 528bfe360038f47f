"""A program's own indicator system: copied from the default or another program, edited by the
department, frozen once a call opens, and snapshotted into every evaluation of the program's contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from grassroots.core.audit import AuditEvent
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.evaluation import indicators
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.indicators import DEFAULT_SYSTEM, Node
from grassroots.evaluation.models import Evaluation, IndicatorSystem
from grassroots.evaluation.selectors import nodes_of
from grassroots.funding.models import Program
from grassroots.orgs import services as org_services
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal

#: A program's own system: three dimensions, one with sub-indicators of two levels.
EDITED = [
    Node("service", "服务成效", D("50")),
    Node("reach", "覆盖人群", D("20"), "service", source="computed", metric="targets_met"),
    Node("depth", "服务深度", D("30"), "service"),
    Node("cases", "个案质量", D("12.5"), "depth", source="manual", rubric="抽查个案档案"),
    Node("groups", "小组成效", D("17.5"), "depth", source="computed", metric="participation"),
    Node("money", "资金管理", D("30"), source="computed", metric="budget_execution"),
    Node("voice", "居民评价", D("20"), source="survey", metric="likert_mean"),
]


def as_rows(nodes: list[Node]) -> list[tuple[str, str, Decimal, str, str]]:
    return [(n.code, n.parent, n.weight, n.source, n.metric) for n in nodes]


@pytest.fixture
def program(world: w.World) -> Program:
    return w.open_program(world)


@pytest.fixture
def system(world: w.World, program: Program) -> IndicatorSystem:
    return evaluation_services.copy_indicator_system(world.dept_officer, program)


def another_department_officer(world: w.World) -> Any:
    other = org_services.register_organization(
        world.admin, kind="department", name="W市S区卫健局", name_en="Health Bureau", uscc=w.uscc("1", "1", 90)
    )
    person = org_services.add_person(world.admin, name="孙科长", username="health_officer")
    org_services.add_membership(world.admin, person=person, organization=other, role="officer")
    return person.user


def test_the_department_copies_the_default_into_its_program(world: w.World, program: Program) -> None:
    system = evaluation_services.copy_indicator_system(world.dept_officer, program)
    assert (system.program, system.name, system.name_en) == (program, *indicators.DEFAULT_NAME)
    assert system.copied_from is None and system.frozen_on is None
    assert as_rows(nodes_of(system)) == as_rows(list(DEFAULT_SYSTEM))
    assert AuditEvent.objects.filter(action="indicators.copied", object_id=str(system.pk)).exists()


def test_the_department_edits_its_program_s_system(world: w.World, system: IndicatorSystem) -> None:
    evaluation_services.define_indicator_system(world.dept_officer, system, EDITED, name=" 社区服务指标 ")
    system.refresh_from_db()
    assert system.name == "社区服务指标"
    assert as_rows(nodes_of(system)) == as_rows(EDITED)
    assert nodes_of(system)[3].rubric == "抽查个案档案"
    assert AuditEvent.objects.filter(action="indicators.defined", object_id=str(system.pk)).exists()


def test_typed_rows_are_trimmed_and_their_points_read_exactly(world: w.World, system: IndicatorSystem) -> None:
    typed = [Node(" all ", " 全部 ", "100.00 ", source=" manual ")]  # type: ignore[arg-type]
    evaluation_services.define_indicator_system(world.dept_officer, system, typed)
    assert as_rows(nodes_of(system)) == [("all", "", D("100.00"), "manual", "")]
    assert nodes_of(system)[0].name == "全部"


def test_an_invalid_system_is_refused_with_every_problem_and_nothing_changes(
    world: w.World, system: IndicatorSystem
) -> None:
    bad = list(EDITED)
    bad[1] = Node("reach", "覆盖人群", D("25"), "service", source="computed", metric="happiness")
    bad[6] = Node("voice", "居民评价", D("20.001"), source="survey", metric="likert_mean")
    with w.refused(RuleViolation) as info:
        evaluation_services.define_indicator_system(world.dept_officer, system, bad)
    assert info.value.messages == ["“voice”: points must be a positive number with at most two decimals, not “20.001”"]
    bad[6] = EDITED[6]
    with w.refused(RuleViolation) as info:
        evaluation_services.define_indicator_system(world.dept_officer, system, bad)
    assert sorted(info.value.messages) == sorted(
        [
            "the points under “service” add up to 55, not its 50",
            "“reach”: “happiness” is not a computed metric",
        ]
    )
    assert as_rows(nodes_of(system)) == as_rows(list(DEFAULT_SYSTEM))


def test_a_system_keeps_a_name(world: w.World, system: IndicatorSystem) -> None:
    with w.refused(RuleViolation, match="needs a name"):
        evaluation_services.define_indicator_system(world.dept_officer, system, EDITED, name="  ")


def test_a_program_copies_another_program_s_system(world: w.World, system: IndicatorSystem) -> None:
    evaluation_services.define_indicator_system(world.dept_officer, system, EDITED, name="社区服务指标")
    second = w.open_program(world, title="2025年第二批项目")
    copy = evaluation_services.copy_indicator_system(world.dept_officer, second, source=system)
    assert copy.pk != system.pk and copy.copied_from == system and copy.name == "社区服务指标"
    assert as_rows(nodes_of(copy)) == as_rows(EDITED)
    # Copying again replaces the program's system; the first program's is untouched.
    again = evaluation_services.copy_indicator_system(world.dept_officer, second)
    assert IndicatorSystem.objects.filter(program=second).get() == again
    assert as_rows(nodes_of(again)) == as_rows(list(DEFAULT_SYSTEM))
    assert as_rows(nodes_of(system)) == as_rows(EDITED)


def test_a_system_is_not_copied_onto_itself(world: w.World, system: IndicatorSystem) -> None:
    with w.refused(RuleViolation, match="onto itself"):
        evaluation_services.copy_indicator_system(world.dept_officer, system.program, source=system)


@pytest.mark.parametrize("who", ["street officer", "another department's officer", "agency manager", "evaluator"])
def test_only_the_program_s_department_edits_its_system(
    world: w.World, program: Program, system: IndicatorSystem, who: str
) -> None:
    actor = {
        "street officer": lambda: world.street_officer,
        "another department's officer": lambda: another_department_officer(world),
        "agency manager": lambda: world.managers[1],
        "evaluator": lambda: world.evaluator,
    }[who]()
    with w.refused(Forbidden, match="Only an officer of"):
        evaluation_services.define_indicator_system(actor, system, EDITED)
    with w.refused(Forbidden, match="Only an officer of"):
        evaluation_services.copy_indicator_system(actor, program)


def test_opening_a_call_freezes_the_system(world: w.World, program: Program, system: IndicatorSystem) -> None:
    evaluation_services.define_indicator_system(world.dept_officer, system, EDITED)
    w.open_street_call(world, program)
    system.refresh_from_db()
    assert system.frozen_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="indicators.frozen", object_id=str(system.pk)).count() == 1
    with w.refused(RuleViolation, match="frozen: a call has opened"):
        evaluation_services.define_indicator_system(world.dept_officer, system, list(DEFAULT_SYSTEM))
    with w.refused(RuleViolation, match="frozen: a call has opened"):
        evaluation_services.copy_indicator_system(world.dept_officer, program)
    # A second call leaves the date of the first freeze.
    evaluation_services.freeze_indicators(world.dept_officer, program, on=date(2030, 1, 1))
    system.refresh_from_db()
    assert system.frozen_on == timezone.localdate()
    assert as_rows(nodes_of(system)) == as_rows(EDITED)


def test_a_program_without_its_own_system_freezes_the_default_when_a_call_opens(
    world: w.World, program: Program
) -> None:
    w.open_direct_call(world, program)
    system = IndicatorSystem.objects.get(program=program)
    assert system.frozen_on is not None
    assert as_rows(nodes_of(system)) == as_rows(list(DEFAULT_SYSTEM))


def test_an_evaluation_snapshots_the_program_s_own_system(
    world: w.World, program: Program, system: IndicatorSystem
) -> None:
    evaluation_services.define_indicator_system(world.dept_officer, system, EDITED)
    contract = w.funded_contract(world, program=program)
    evaluation = evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
    )
    assert evaluation.system == system
    items = list(evaluation.items.order_by("position"))
    # Depth-first, as the report lists it; only the nodes without children are scored.
    assert [(i.code, i.parent_code, i.weight, i.source, i.metric) for i in items] == as_rows(EDITED)
    assert [i.code for i in items if i.is_leaf] == ["reach", "cases", "groups", "money", "voice"]
    assert sum((i.weight for i in items if i.is_leaf), D(0)) == D(100)
    assert items[3].rubric == "抽查个案档案"
    assert all(i.points is None for i in items)
