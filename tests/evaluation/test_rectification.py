"""Findings and rectification (整改): a finding that requires rectification carries a deadline after the
evaluation; once the purchaser accepts the evaluation the agency reports what it changed, and the
evaluator or the purchaser closes the finding or reopens it with a verdict and a new deadline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation, Finding
from grassroots.evaluation.selectors import overdue, rectifications_of, rectifications_to_follow
from tests import world as w

pytestmark = pytest.mark.django_db

DAY = date(2025, 9, 20)
DUE = date(2025, 10, 20)
FINDINGS: list[dict[str, Any]] = [
    {"text": "台账完整，记录规范。"},
    {"text": "部分个案缺少前后测。", "requirement": "补齐在案个案的前后测量表。", "due_on": DUE},
    {"text": "志愿者培训记录缺失。", "requirement": "建立志愿者培训台账。", "due_on": date(2025, 10, 5)},
]


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            pk = w.funded_contract(w.reload(module_world), agency=1).pk
        yield pk


@pytest.fixture
def evaluation(world: w.World, contract_pk: int) -> Evaluation:
    return evaluation_services.assign_evaluation(
        world.street_officer,
        Contract.objects.get(pk=contract_pk),
        evaluator=world.evaluator_org,
        kind=Evaluation.Kind.MIDTERM,
    )


def submit(world: w.World, evaluation: Evaluation, findings: list[dict[str, Any]]) -> Evaluation:
    return evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "78"), findings=findings, on=DAY
    )


@pytest.fixture
def submitted(world: w.World, evaluation: Evaluation) -> Evaluation:
    return submit(world, evaluation, FINDINGS)


@pytest.fixture
def accepted(world: w.World, submitted: Evaluation) -> Evaluation:
    return evaluation_services.accept_evaluation(world.street_officer, submitted)


def finding(evaluation: Evaluation, position: int) -> Finding:
    return Finding.objects.get(evaluation=evaluation, position=position)


def test_findings_are_noted_or_open_for_rectification(submitted: Evaluation) -> None:
    assert [(f.state, f.due_on, f.requirement) for f in submitted.findings.order_by("position")] == [
        (Finding.State.NOTED, None, ""),
        (Finding.State.OPEN, DUE, "补齐在案个案的前后测量表。"),
        (Finding.State.OPEN, date(2025, 10, 5), "建立志愿者培训台账。"),
    ]


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ({"text": "缺前后测", "requirement": "补齐"}, "Finding 1 requires rectification: give a deadline"),
        ({"text": "缺前后测", "requirement": "补齐", "due_on": "2025-10-20"}, "give a deadline"),
        ({"text": "缺前后测", "requirement": "补齐", "due_on": DAY}, "the deadline must come after the evaluation"),
        ({"text": "缺前后测", "requirement": "补齐", "due_on": date(2025, 9, 1)}, "must come after the evaluation"),
        ({"text": "  ", "requirement": "补齐", "due_on": DUE}, "Finding 1 has no text"),
    ],
)
def test_a_requirement_needs_a_deadline_after_the_evaluation(
    world: w.World, evaluation: Evaluation, given: dict[str, Any], match: str
) -> None:
    with w.refused(RuleViolation, match=match):
        submit(world, evaluation, [given])


def test_a_finding_without_requirement_takes_no_deadline(world: w.World, evaluation: Evaluation) -> None:
    submit(world, evaluation, [{"text": "良好", "due_on": DUE}])
    assert (finding(evaluation, 0).state, finding(evaluation, 0).due_on) == (Finding.State.NOTED, None)


def test_rectification_starts_once_the_evaluation_is_accepted(world: w.World, submitted: Evaluation) -> None:
    with w.refused(RuleViolation, match="once the purchaser has accepted"):
        evaluation_services.report_rectification(
            world.managers[1], finding(submitted, 1), "已补齐", on=date(2025, 10, 1)
        )
    assert list(rectifications_of(world.agencies[1])) == []


def test_the_agency_reports_and_the_evaluator_closes(world: w.World, accepted: Evaluation) -> None:
    agency = world.agencies[1]
    # The agency sees its open rectifications, earliest deadline first.
    assert [f.position for f in rectifications_of(agency)] == [2, 1]
    assert [f.position for f in overdue(rectifications_of(agency), today=date(2025, 10, 10))] == [2]
    evaluation_services.report_rectification(
        world.managers[1], finding(accepted, 1), " 已补齐量表 ", on=date(2025, 10, 10)
    )
    reported = finding(accepted, 1)
    assert (reported.state, reported.response, reported.responded_on) == (
        Finding.State.RESPONDED,
        "已补齐量表",
        date(2025, 10, 10),
    )
    assert [f.position for f in rectifications_to_follow(world.evaluator)] == [2, 1]
    evaluation_services.follow_up_rectification(
        world.evaluator, reported, accepted=True, verdict="抽查属实", on=date(2025, 10, 15)
    )
    closed = finding(accepted, 1)
    assert (closed.state, closed.verdict, closed.closed_on) == (Finding.State.CLOSED, "抽查属实", date(2025, 10, 15))
    assert [f.position for f in rectifications_of(agency)] == [2]


def test_the_purchaser_reopens_with_a_verdict_and_a_new_deadline(world: w.World, accepted: Evaluation) -> None:
    manager, officer = world.managers[1], world.street_officer
    evaluation_services.report_rectification(manager, finding(accepted, 1), "已补齐", on=date(2025, 10, 10))
    day = date(2025, 10, 15)
    with w.refused(RuleViolation, match="Say what is still to be rectified"):
        evaluation_services.follow_up_rectification(
            officer, finding(accepted, 1), accepted=False, due_on=date(2025, 11, 15), on=day
        )
    for due_on in (None, day, date(2025, 10, 1)):
        with w.refused(RuleViolation, match="Give a new deadline after today"):
            evaluation_services.follow_up_rectification(
                officer, finding(accepted, 1), accepted=False, verdict="仍缺3份", due_on=due_on, on=day
            )
    evaluation_services.follow_up_rectification(
        officer, finding(accepted, 1), accepted=False, verdict=" 仍缺3份 ", due_on=date(2025, 11, 15), on=day
    )
    reopened = finding(accepted, 1)
    assert (reopened.state, reopened.verdict, reopened.due_on) == (Finding.State.OPEN, "仍缺3份", date(2025, 11, 15))
    evaluation_services.report_rectification(manager, reopened, "已全部补齐", on=date(2025, 11, 10))
    evaluation_services.follow_up_rectification(officer, finding(accepted, 1), accepted=True, on=date(2025, 11, 12))
    assert finding(accepted, 1).state == Finding.State.CLOSED


def test_a_report_says_what_was_rectified(world: w.World, accepted: Evaluation) -> None:
    with w.refused(RuleViolation, match="Say what was rectified"):
        evaluation_services.report_rectification(world.managers[1], finding(accepted, 1), "  ")


def test_a_report_does_not_predate_the_evaluation(world: w.World, accepted: Evaluation) -> None:
    with w.refused(RuleViolation, match="after the evaluation"):
        evaluation_services.report_rectification(
            world.managers[1], finding(accepted, 1), "已补齐。", on=date(2025, 9, 19)
        )


@pytest.mark.parametrize(
    "who", ["agency social worker", "other agency manager", "street officer", "evaluator", "community worker"]
)
def test_only_the_agency_s_manager_reports(world: w.World, accepted: Evaluation, who: str) -> None:
    actor = {
        "agency social worker": world.social_workers[1][0].user,
        "other agency manager": world.managers[2],
        "street officer": world.street_officer,
        "evaluator": world.evaluator,
        "community worker": world.community_workers[0],
    }[who]
    with w.refused(Forbidden, match="Only a manager of"):
        evaluation_services.report_rectification(actor, finding(accepted, 1), "已补齐")


@pytest.mark.parametrize(
    "who", ["agency manager", "other street officer", "department officer", "other agency manager"]
)
def test_only_the_evaluator_or_the_purchaser_follows_up(world: w.World, accepted: Evaluation, who: str) -> None:
    evaluation_services.report_rectification(world.managers[1], finding(accepted, 1), "已补齐", on=date(2025, 10, 10))
    actor = {
        "agency manager": world.managers[1],
        "other street officer": world.other_street_officer,
        "department officer": world.dept_officer,
        "other agency manager": world.managers[2],
    }[who]
    with w.refused(Forbidden, match="Only the evaluator or the purchaser"):
        evaluation_services.follow_up_rectification(actor, finding(accepted, 1), accepted=True, verdict="自己说好")


def test_illegal_moves_are_refused(world: w.World, accepted: Evaluation) -> None:
    manager, evaluator = world.managers[1], world.evaluator
    with w.refused(IllegalTransition):  # a noted finding requires nothing
        evaluation_services.report_rectification(manager, finding(accepted, 0), "已改")
    with w.refused(IllegalTransition):  # nothing reported yet
        evaluation_services.follow_up_rectification(evaluator, finding(accepted, 1), accepted=True)
    with w.refused(IllegalTransition):
        evaluation_services.follow_up_rectification(
            evaluator, finding(accepted, 1), accepted=False, verdict="再改", due_on=date(2026, 1, 1), on=DAY
        )
    evaluation_services.report_rectification(manager, finding(accepted, 1), "已补齐", on=date(2025, 10, 10))
    with w.refused(IllegalTransition):  # reported twice
        evaluation_services.report_rectification(manager, finding(accepted, 1), "又补了")
    evaluation_services.follow_up_rectification(evaluator, finding(accepted, 1), accepted=True, on=date(2025, 10, 12))
    with w.refused(IllegalTransition):
        evaluation_services.report_rectification(manager, finding(accepted, 1), "再补")
    with w.refused(IllegalTransition):
        evaluation_services.follow_up_rectification(evaluator, finding(accepted, 1), accepted=True)
