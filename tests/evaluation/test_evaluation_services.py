"""Third-party evaluations: who assigns and scores them, what a submission needs (every indicator scored
within its points), how the total becomes a grade, returning and accepting, and the performance record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.indicators import DEFAULT_SYSTEM, leaves
from grassroots.evaluation.models import Evaluation, EvaluationItem, Finding, PerformanceRecord
from grassroots.evaluation.selectors import past_performance, report
from grassroots.orgs import services as org_services
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2025, 9, 20)
MANUAL = [n.code for n in leaves(DEFAULT_SYSTEM) if n.source == "manual"]


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            pk = w.funded_contract(w.reload(module_world), agency=1).pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    """Active from 2025-04-01 to 2026-03-31 for the S Street office, with no delivery recorded."""
    return Contract.objects.get(pk=contract_pk)


@pytest.fixture
def evaluation(world: w.World, contract: Contract) -> Evaluation:
    return evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
    )


def item(evaluation: Evaluation, code: str) -> EvaluationItem:
    return EvaluationItem.objects.get(evaluation=evaluation, code=code)


def manual_scores(share: str = "0.8") -> dict[str, dict[str, Any]]:
    by_code = {n.code: n for n in DEFAULT_SYSTEM}
    return {code: {"points": by_code[code].weight * D(share), "evidence": "档案抽查"} for code in MANUAL}


# --- assigning ----------------------------------------------------------------------------------


def test_an_evaluation_gets_the_program_s_system_as_its_items(evaluation: Evaluation) -> None:
    assert evaluation.state == Evaluation.State.ASSIGNED
    assert evaluation.system is not None and evaluation.system.frozen_on is not None
    items = list(evaluation.items.order_by("position"))
    assert [i.code for i in items] == [n.code for n in DEFAULT_SYSTEM]
    assert [i.code for i in items if i.is_leaf] == [n.code for n in leaves(DEFAULT_SYSTEM)]
    assert all(i.points is None and i.computed_points is None for i in items)


def test_only_the_purchaser_assigns(world: w.World, contract: Contract) -> None:
    for actor in (world.dept_officer, world.other_street_officer, world.evaluator, world.managers[1]):
        with w.refused(Forbidden, match="Only the purchaser"):
            evaluation_services.assign_evaluation(
                actor, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
            )


def test_a_contract_gets_one_evaluation_of_each_kind(
    world: w.World, contract: Contract, evaluation: Evaluation
) -> None:
    with w.refused(RuleViolation, match="already has that evaluation"):
        evaluation_services.assign_evaluation(
            world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
        )
    final = evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
    )
    assert final.kind == Evaluation.Kind.FINAL


def test_the_evaluator_is_a_third_party(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="not a third-party evaluator"):
        evaluation_services.assign_evaluation(
            world.street_officer, contract, evaluator=world.agencies[2], kind=Evaluation.Kind.FINAL
        )
    # The evaluator's staff also works for the contracted agency: a conflict of interest.
    org_services.add_membership(
        world.dept_officer, person=world.evaluator.person, organization=contract.agency, role="board_member"
    )
    with w.refused(RuleViolation, match="shares staff"):
        evaluation_services.assign_evaluation(
            world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
        )


def test_declared_ties_of_the_evaluator_s_staff_are_a_conflict(world: w.World, contract: Contract) -> None:
    expert = org_services.register_expert(world.dept_officer, person=world.evaluator.person, expertise=["elderly"])
    org_services.declare_affiliation(
        world.dept_officer, expert=expert, organization=contract.agency, kind="collaborator"
    )
    with w.refused(RuleViolation, match="declared ties"):
        evaluation_services.assign_evaluation(
            world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
        )


def test_an_unknown_kind_of_evaluation_is_refused(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="Unknown kind"):
        evaluation_services.assign_evaluation(world.street_officer, contract, evaluator=world.evaluator_org, kind="x")


# --- scoring ------------------------------------------------------------------------------------


def test_a_draft_keeps_points_evidence_and_comments(world: w.World, evaluation: Evaluation) -> None:
    evaluation_services.score_evaluation(
        world.evaluator,
        evaluation,
        {"plan": {"points": "4.5", "evidence": "计划书与月报", "comment": "略有滞后"}, "team": {"points": 5}},
        summary="  初评  ",
        on=DAY,
    )
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.summary, evaluation.score) == (Evaluation.State.ASSIGNED, "初评", None)
    plan = item(evaluation, "plan")
    assert (plan.points, plan.evidence, plan.comment) == (D("4.50"), "计划书与月报", "略有滞后")
    rows = {row.item.code: row.earned for row in report(evaluation).rows}
    assert rows["management"] == D("9.50")  # plan + team; milestones are computed as 0 (none accepted)
    # A later draft changes only what it names.
    evaluation_services.score_evaluation(world.evaluator, evaluation, {"team": {"points": "3"}}, on=DAY)
    assert (item(evaluation, "plan").points, item(evaluation, "team").points) == (D("4.50"), D("3.00"))


def test_a_submitted_evaluation_carries_its_total_grade_summary_and_findings(
    world: w.World, evaluation: Evaluation
) -> None:
    scores = w.evaluation_scores(evaluation, "83")
    evaluation_services.submit_evaluation(
        world.evaluator,
        evaluation,
        scores=scores,
        summary="按计划推进",
        findings=[{"text": "台账完整"}, {"text": "缺前后测", "requirement": "补齐量表", "due_on": date(2025, 10, 20)}],
        on=DAY,
    )
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.score, evaluation.grade) == (Evaluation.State.SUBMITTED, D("83.00"), "good")
    assert (evaluation.summary, evaluation.submitted_on) == ("按计划推进", DAY)
    assert evaluation.score == sum((i.points or D(0) for i in evaluation.items.filter(is_leaf=True)), D(0))
    findings = list(evaluation.findings.order_by("position"))
    assert [(f.text, f.state, f.due_on) for f in findings] == [
        ("台账完整", Finding.State.NOTED, None),
        ("缺前后测", Finding.State.OPEN, date(2025, 10, 20)),
    ]


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "excellent"),
        ("90", "excellent"),
        ("89.99", "good"),
        ("80", "good"),
        ("79.99", "pass"),
        ("60", "pass"),
        ("59.99", "fail"),
        ("0", "fail"),
    ],
)
def test_the_total_gives_the_grade(world: w.World, evaluation: Evaluation, score: str, grade: str) -> None:
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, score), on=DAY
    )
    evaluation.refresh_from_db()
    assert (evaluation.score, evaluation.grade) == (D(score), grade)


def test_every_indicator_must_be_scored_before_submitting(world: w.World, evaluation: Evaluation) -> None:
    scores = manual_scores()
    del scores["plan"]
    # Without spending or group sessions recorded, the receipts and participation indicators have no
    # data, nor has the survey indicator without responses: the evaluator must score them too.
    with w.refused(RuleViolation) as info:
        evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)
    message = info.value.messages[0]
    assert message.startswith("Score every indicator before submitting; missing:")
    for name in ("项目计划与执行", "支出凭证完整", "居民与志愿者参与", "服务对象与居民满意度"):
        assert name in message
    for name in ("团队配置与专业督导", "预算执行率", "产出指标完成率"):  # scored, or computed from the data
        assert name not in message


@pytest.mark.parametrize(
    ("points", "match"),
    [
        ("5.01", "“项目计划与执行” earns between 0 and 5.00 points, not 5.01"),
        ("-0.01", "earns between 0 and 5.00 points, not -0.01"),
        ("4.999", "points have at most two decimals"),
        ("很好", "“很好” is not a number of points"),
        ("NaN", "points have at most two decimals"),
        ("1e30", "earns between 0 and 5.00 points, not 1E\\+30"),
        ("", None),  # cleared: a manual indicator is then unscored
    ],
)
def test_points_lie_between_zero_and_the_indicator_s_weight(
    world: w.World, evaluation: Evaluation, points: str, match: str | None
) -> None:
    if match is None:
        scores = w.evaluation_scores(evaluation, "80")
        scores["plan"]["points"] = points
        with w.refused(RuleViolation, match="missing: 项目计划与执行"):
            evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)
        return
    with w.refused(RuleViolation, match=match):
        evaluation_services.score_evaluation(world.evaluator, evaluation, {"plan": {"points": points}}, on=DAY)
    scores = w.evaluation_scores(evaluation, "80")
    scores["plan"]["points"] = points
    with w.refused(RuleViolation, match=match):
        evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)


def test_an_unknown_indicator_or_a_group_is_refused(world: w.World, evaluation: Evaluation) -> None:
    with w.refused(RuleViolation, match="There is no indicator “nope” in this evaluation"):
        evaluation_services.score_evaluation(world.evaluator, evaluation, {"nope": {"points": "1"}}, on=DAY)
    with w.refused(RuleViolation, match="“项目管理” is scored through its sub-indicators"):
        evaluation_services.score_evaluation(world.evaluator, evaluation, {"management": {"points": "10"}}, on=DAY)
    scores = w.evaluation_scores(evaluation, "80")
    scores["nope"] = {"points": "1"}
    with w.refused(RuleViolation, match="There is no indicator “nope”"):
        evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)


def test_all_the_mistakes_of_a_submission_are_said_at_once(world: w.World, evaluation: Evaluation) -> None:
    scores = w.evaluation_scores(evaluation, "80")
    scores["plan"]["points"] = "6"
    scores["team"]["points"] = "x"
    with w.refused(RuleViolation) as info:
        evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)
    assert len(info.value.messages) == 2


@pytest.mark.parametrize("who", ["agency manager", "street officer", "agency social worker", "other agency manager"])
def test_only_the_evaluator_scores(world: w.World, evaluation: Evaluation, who: str) -> None:
    actor = {
        "agency manager": world.managers[1],
        "street officer": world.street_officer,
        "agency social worker": world.social_workers[1][0].user,
        "other agency manager": world.managers[2],
    }[who]
    with w.refused(Forbidden, match="Only an evaluator of"):
        evaluation_services.score_evaluation(actor, evaluation, {"plan": {"points": "5"}}, on=DAY)
    with w.refused(Forbidden, match="Only an evaluator of"):
        evaluation_services.submit_evaluation(actor, evaluation, scores=w.evaluation_scores(evaluation, "80"), on=DAY)


# --- returning and accepting --------------------------------------------------------------------


def test_a_returned_evaluation_says_why_and_may_be_submitted_again(world: w.World, evaluation: Evaluation) -> None:
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "75"), findings=[{"text": "初稿"}], on=DAY
    )
    with w.refused(RuleViolation, match="Say why"):
        evaluation_services.return_evaluation(world.street_officer, evaluation, "   ")
    with w.refused(Forbidden):
        evaluation_services.return_evaluation(world.evaluator, evaluation, "我想改")
    evaluation_services.return_evaluation(world.street_officer, evaluation, " 成效证据不足 ")
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.returned_because) == (Evaluation.State.ASSIGNED, "成效证据不足")
    with w.refused(IllegalTransition):
        evaluation_services.accept_evaluation(world.street_officer, evaluation)
    with w.refused(IllegalTransition):
        evaluation_services.return_evaluation(world.street_officer, evaluation, "again")

    scores = {"change": {"points": "9", "comment": "补充访谈后调整"}}
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=scores, findings=[{"text": "终稿"}], on=DAY
    )
    evaluation.refresh_from_db()
    assert evaluation.state == Evaluation.State.SUBMITTED and evaluation.returned_because == ""
    assert evaluation.score == D("72.75")  # 75 with “change” at 9 instead of 11.25: the rest kept
    assert [f.text for f in evaluation.findings.all()] == ["终稿"]


def test_a_resubmission_keeps_the_findings_unless_it_gives_new_ones(world: w.World, evaluation: Evaluation) -> None:
    findings: list[dict[str, Any]] = [
        {"text": "缺前后测", "requirement": "补齐量表", "due_on": date(2025, 10, 20)},
        {"text": "台账完整"},
    ]
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "75"), findings=findings, on=DAY
    )
    evaluation_services.return_evaluation(world.street_officer, evaluation, "请复核成效得分")
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores={"change": {"points": "10", "comment": "复核"}}, on=DAY
    )
    kept = [(f.text, f.state, f.due_on) for f in evaluation.findings.order_by("position")]
    assert kept == [("缺前后测", Finding.State.OPEN, date(2025, 10, 20)), ("台账完整", Finding.State.NOTED, None)]
    assert Evaluation.objects.get(pk=evaluation.pk).summary == ""
    # Kept findings are checked against the new date like new ones.
    evaluation_services.return_evaluation(world.street_officer, evaluation, "日期有误")
    with w.refused(RuleViolation, match="the deadline must come after the evaluation"):
        evaluation_services.submit_evaluation(world.evaluator, evaluation, on=date(2025, 10, 25))
    evaluation_services.submit_evaluation(world.evaluator, evaluation, findings=[], on=DAY)
    assert not evaluation.findings.exists()


def test_an_evaluation_is_not_due_before_the_contract_starts(world: w.World, contract: Contract) -> None:
    for kind in Evaluation.Kind.values:
        with w.refused(RuleViolation, match="cannot be due before the contract starts"):
            evaluation_services.assign_evaluation(
                world.street_officer, contract, evaluator=world.evaluator_org, kind=kind, due_on=date(2025, 3, 31)
            )
    due = evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind="midterm", due_on=date(2025, 10, 15)
    )
    assert due.due_on == date(2025, 10, 15)


def test_an_evaluation_is_accepted_once_and_only_after_it_is_submitted(world: w.World, evaluation: Evaluation) -> None:
    with w.refused(IllegalTransition):
        evaluation_services.accept_evaluation(world.street_officer, evaluation)
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "75"), on=DAY
    )
    with w.refused(Forbidden, match="Only the purchaser"):
        evaluation_services.accept_evaluation(world.evaluator, evaluation)
    with w.refused(Forbidden, match="Only the purchaser"):
        evaluation_services.accept_evaluation(world.other_street_officer, evaluation)
    evaluation_services.accept_evaluation(world.street_officer, evaluation)
    with w.refused(IllegalTransition):
        evaluation_services.accept_evaluation(world.street_officer, evaluation)
    with w.refused(IllegalTransition):
        evaluation_services.return_evaluation(world.street_officer, evaluation, "太晚了")
    with w.refused(RuleViolation, match="can no longer be changed"):
        evaluation_services.submit_evaluation(
            world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "95"), on=DAY
        )
    with w.refused(RuleViolation, match="can no longer be changed"):
        evaluation_services.score_evaluation(world.evaluator, evaluation, {"plan": {"points": "1"}}, on=DAY)
    assert Evaluation.objects.get(pk=evaluation.pk).score == D("75.00")


def test_accepting_the_final_evaluation_writes_the_performance_record_once(world: w.World, contract: Contract) -> None:
    w.evaluate(world, contract, Evaluation.Kind.MIDTERM, "70", DAY)
    assert not PerformanceRecord.objects.filter(contract=contract).exists()
    final = w.evaluate(world, contract, Evaluation.Kind.FINAL, "91.5", date(2026, 3, 25))
    record = PerformanceRecord.objects.get(contract=contract)
    assert (record.agency, record.fiscal_year, record.score, record.grade) == (
        world.agencies[1],
        w.FY,
        D("91.50"),
        "excellent",
    )
    with w.refused(IllegalTransition):
        evaluation_services.accept_evaluation(world.street_officer, final)
    assert PerformanceRecord.objects.filter(agency=world.agencies[1]).count() == 1
    # The next years' reviews read it; the same year's and those of an agency without records do not.
    assert past_performance([world.agencies[1].pk, world.agencies[2].pk], w.FY + 1) == {
        world.agencies[1].pk: D("91.50")
    }
    assert past_performance([world.agencies[1].pk], w.FY) == {}
    assert past_performance([world.agencies[1].pk], w.FY + 4) == {}
