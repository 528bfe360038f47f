"""Who may do what: every main service is tried by every relevant role.

Permission comes from role and relation to the object (this street's officer, that agency's manager,
the assigned expert), never from a URL. A refusal is `Forbidden` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.awards import services as award_services
from grassroots.awards.models import Award, AwardList, Objection
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract, ContractLine, Milestone, Tranche
from grassroots.core.errors import Forbidden
from grassroots.core.money import money
from grassroots.delivery import services as delivery_services
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.indicators import DEFAULT_SYSTEM
from grassroots.evaluation.models import Evaluation, Finding, IndicatorSystem, Survey
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Envelope, Program
from grassroots.needs import services as needs_services
from grassroots.review import services as review_services
from grassroots.review.models import Review
from tests import world as w

pytestmark = pytest.mark.django_db

#: The roles every world has; "agency" roles are of agency 1, "other agency" roles of agency 2.
ROLES: dict[str, Callable[[w.World], Any]] = {
    "staff": lambda world: world.admin,
    "department officer": lambda world: world.dept_officer,
    "street officer": lambda world: world.street_officer,
    "other street officer": lambda world: world.other_street_officer,
    "community worker": lambda world: world.community_workers[0],
    "resident": lambda world: world.residents[0][0],
    "other community's resident": lambda world: world.residents[1][0],
    "agency manager": lambda world: world.managers[1],
    "agency social worker": lambda world: world.social_workers[1][0].user,
    "other agency manager": lambda world: world.managers[2],
    "other agency social worker": lambda world: world.social_workers[2][0].user,
    "evaluator": lambda world: world.evaluator,
}


@dataclass
class Stage:
    """How to try an action once its preconditions are built.

    Stages are built once per module (see `stages`), so they keep primary keys only and `act` reads
    the objects afresh: no test sees what another did to them in memory.
    """

    act: Callable[[w.World, Any], object]  # (the test's world, actor) → result
    roles: dict[str, int] = field(default_factory=dict)  # roles that exist only at this stage: user pks


def create_program(world: w.World) -> Stage:
    return Stage(
        lambda world, actor: funding_services.create_program(
            actor,
            department=world.department,
            title="权限测试项目",
            fiscal_year=w.FY,
            budget="1000.00",
            categories=[world.categories["elderly"]],
        )
    )


def allocate_envelope(world: w.World) -> Stage:
    pk = w.open_program(world).pk
    return Stage(
        lambda world, actor: funding_services.allocate_envelope(
            actor, program=Program.objects.get(pk=pk), street=world.street, amount="100.00"
        )
    )


def create_call_on_envelope(world: w.World) -> Stage:
    program = w.open_program(world)
    pk = funding_services.allocate_envelope(
        world.dept_officer, program=program, street=world.street, amount="1000.00"
    ).pk

    def act(world: w.World, actor: Any) -> object:
        envelope = Envelope.objects.get(pk=pk)
        return funding_services.create_call(
            actor,
            program=envelope.program,
            envelope=envelope,
            title="权限测试指南",
            funds="100.00",
            opens_on=w.CALL_OPENS,
            closes_on=w.CALL_CLOSES,
            categories=[world.categories["elderly"]],
            criteria=w.CRITERIA,
        )

    return Stage(act)


def create_draft(world: w.World) -> Stage:
    pk = w.open_street_call(world, w.open_program(world)).pk
    return Stage(
        lambda world, actor: application_services.create_draft(
            actor,
            on=w.DRAFTED_ON,
            call=Call.objects.get(pk=pk),
            lead_agency=world.agencies[1],
            title="权限测试申报",
            category=world.categories["elderly"],
            communities=[world.communities[0]],
            team=[(world.social_workers[1][0], "lead")],
            indicators=[{"name": "活动", "target": 4}],
            budget_lines=w.budget_lines(money("10000.00")),
        )
    )


def _call_with_one_application(world: w.World) -> tuple[Call, Application]:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    return call, w.submitted_application(world, call, agency=1)


def start_review(world: w.World) -> Stage:
    pk = _call_with_one_application(world)[0].pk
    return Stage(lambda world, actor: review_services.start_review(actor, Call.objects.get(pk=pk), today=w.REVIEW_DAY))


def submit_scores(world: w.World) -> Stage:
    call, application = _call_with_one_application(world)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    review = Review.objects.get(application=application)
    other = next(e for e in world.experts if e.pk != review.expert_id)
    scores = {c.pk: "80" for c in call.criteria.all()}
    return Stage(
        lambda world, actor: review_services.submit_scores(actor, Review.objects.get(pk=review.pk), scores),
        {"assigned expert": world.expert_user(review.expert).pk, "another expert": world.expert_user(other).pk},
    )


def _ranked_call(world: w.World) -> Call:
    call, application = _call_with_one_application(world)
    w.review_call(world, call, {application.pk: "80"})
    return call


def propose_awards(world: w.World) -> Stage:
    pk = _ranked_call(world).pk
    return Stage(lambda world, actor: award_services.propose_awards(actor, Call.objects.get(pk=pk)))


def decide(world: w.World) -> Stage:
    pk = w.publicise(world, _ranked_call(world)).pk
    return Stage(lambda world, actor: award_services.decide(actor, AwardList.objects.get(pk=pk), on=w.DECISION_DAY))


def answer_objection(world: w.World) -> Stage:
    award_list = w.publicise(world, _ranked_call(world))
    pk = award_services.raise_objection(world.residents[0][0], award_list, "有异议").pk
    return Stage(
        lambda world, actor: award_services.answer_objection(
            actor, Objection.objects.get(pk=pk), uphold=False, response="已核实"
        )
    )


def _confirmed_award(world: w.World) -> Award:
    return w.decide(world, w.publicise(world, _ranked_call(world))).awards.get()


def draft_contract(world: w.World) -> Stage:
    pk = _confirmed_award(world).pk
    return Stage(
        lambda world, actor: contract_services.draft_contract(
            actor, Award.objects.get(pk=pk), starts_on=w.CONTRACT_START
        )
    )


def sign_contract(world: w.World) -> Stage:
    pk = contract_services.draft_contract(world.street_officer, _confirmed_award(world), starts_on=w.CONTRACT_START).pk
    return Stage(
        lambda world, actor: contract_services.sign_contract(actor, Contract.objects.get(pk=pk), on=w.SIGNED_ON)
    )


def review_milestone(world: w.World) -> Stage:
    milestone = w.milestone(w.funded_contract(world), "start")
    contract_services.submit_milestone(world.managers[1], milestone, "开局报告")
    return Stage(
        lambda world, actor: contract_services.review_milestone(
            actor, Milestone.objects.get(pk=milestone.pk), accept=True, on=date(2025, 4, 15)
        )
    )


def pay_tranche(world: w.World) -> Stage:
    contract = w.funded_contract(world)
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    pk = w.tranche(contract, 1).pk
    return Stage(
        lambda world, actor: contract_services.pay_tranche(actor, Tranche.objects.get(pk=pk), idempotency_key="perm-T1")
    )


def record_service(world: w.World) -> Stage:
    pk = w.funded_contract(world).pk
    return Stage(
        lambda world, actor: delivery_services.record_service(
            actor,
            Contract.objects.get(pk=pk),
            kind="group",
            held_on=date(2025, 5, 1),
            title="小组",
            social_workers=[world.social_workers[1][0]],
        )
    )


def record_expenditure(world: w.World) -> Stage:
    contract = w.funded_contract(world)
    line_pk = contract.lines.get(head="activities").pk

    def act(world: w.World, actor: Any) -> object:
        line = ContractLine.objects.select_related("contract").get(pk=line_pk)
        return delivery_services.record_expenditure(
            actor, line.contract, line=line, spent_on=date(2025, 5, 1), amount="100.00", description="物资"
        )

    return Stage(act)


def assign_evaluation(world: w.World) -> Stage:
    pk = w.funded_contract(world).pk
    return Stage(
        lambda world, actor: evaluation_services.assign_evaluation(
            actor, Contract.objects.get(pk=pk), evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
        )
    )


def submit_evaluation(world: w.World) -> Stage:
    pk = evaluation_services.assign_evaluation(
        world.street_officer, w.funded_contract(world), evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
    ).pk
    return Stage(
        lambda world, actor: evaluation_services.submit_evaluation(
            actor,
            Evaluation.objects.get(pk=pk),
            scores=w.evaluation_scores(Evaluation.objects.get(pk=pk), "80"),
            on=date(2025, 9, 1),
        )
    )


def copy_indicator_system(world: w.World) -> Stage:
    pk = w.open_program(world).pk
    return Stage(lambda world, actor: evaluation_services.copy_indicator_system(actor, Program.objects.get(pk=pk)))


def define_indicator_system(world: w.World) -> Stage:
    pk = evaluation_services.copy_indicator_system(world.dept_officer, w.open_program(world)).pk
    return Stage(
        lambda world, actor: evaluation_services.define_indicator_system(
            actor, IndicatorSystem.objects.get(pk=pk), DEFAULT_SYSTEM, name="权限测试指标"
        )
    )


def _assigned_evaluation(world: w.World) -> Evaluation:
    return evaluation_services.assign_evaluation(
        world.street_officer, w.funded_contract(world), evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
    )


def _submitted_evaluation(world: w.World, findings: list[dict[str, Any]] | None = None) -> Evaluation:
    evaluation = _assigned_evaluation(world)
    return evaluation_services.submit_evaluation(
        world.evaluator,
        evaluation,
        scores=w.evaluation_scores(evaluation, "70"),
        findings=findings or [],
        on=date(2025, 9, 1),
    )


def score_evaluation(world: w.World) -> Stage:
    pk = _assigned_evaluation(world).pk
    return Stage(
        lambda world, actor: evaluation_services.score_evaluation(
            actor, Evaluation.objects.get(pk=pk), {"plan": {"points": "4"}}, on=date(2025, 9, 1)
        )
    )


def return_evaluation(world: w.World) -> Stage:
    pk = _submitted_evaluation(world).pk
    return Stage(
        lambda world, actor: evaluation_services.return_evaluation(actor, Evaluation.objects.get(pk=pk), "证据不足")
    )


def _open_finding(world: w.World) -> Finding:
    evaluation = _submitted_evaluation(
        world, [{"text": "缺前后测", "requirement": "补齐量表", "due_on": date(2025, 10, 1)}]
    )
    evaluation_services.accept_evaluation(world.street_officer, evaluation)
    return evaluation.findings.get()


def report_rectification(world: w.World) -> Stage:
    pk = _open_finding(world).pk
    return Stage(
        lambda world, actor: evaluation_services.report_rectification(
            actor, Finding.objects.get(pk=pk), "已补齐", on=date(2025, 9, 20)
        )
    )


def follow_up_rectification(world: w.World) -> Stage:
    finding = _open_finding(world)
    evaluation_services.report_rectification(world.managers[1], finding, "已补齐", on=date(2025, 9, 20))
    return Stage(
        lambda world, actor: evaluation_services.follow_up_rectification(
            actor, Finding.objects.get(pk=finding.pk), accepted=True, verdict="属实", on=date(2025, 9, 25)
        )
    )


def create_survey(world: w.World) -> Stage:
    pk = _assigned_evaluation(world).pk
    return Stage(lambda world, actor: evaluation_services.create_survey(actor, Evaluation.objects.get(pk=pk)))


def issue_tokens(world: w.World) -> Stage:
    pk = evaluation_services.create_survey(world.evaluator, _assigned_evaluation(world)).pk
    return Stage(lambda world, actor: evaluation_services.issue_tokens(actor, Survey.objects.get(pk=pk), 3))


def open_survey(world: w.World) -> Stage:
    pk = evaluation_services.create_survey(world.evaluator, _assigned_evaluation(world)).pk
    return Stage(lambda world, actor: evaluation_services.open_survey(actor, Survey.objects.get(pk=pk)))


def raise_need(world: w.World) -> Stage:
    return Stage(
        lambda world, actor: needs_services.raise_need(
            actor,
            community=world.communities[0],
            title="楼道照明",
            category=world.categories["elderly"],
            raised_on=date(2025, 1, 5),
        )
    )


ACTIONS: dict[str, Callable[[w.World], Stage]] = {
    "create_program": create_program,
    "allocate_envelope": allocate_envelope,
    "create_call on the street's envelope": create_call_on_envelope,
    "create_draft for agency 1": create_draft,
    "start_review": start_review,
    "submit_scores": submit_scores,
    "propose_awards": propose_awards,
    "answer_objection": answer_objection,
    "decide": decide,
    "draft_contract": draft_contract,
    "sign_contract": sign_contract,
    "review_milestone": review_milestone,
    "pay_tranche": pay_tranche,
    "record_service": record_service,
    "record_expenditure": record_expenditure,
    "assign_evaluation": assign_evaluation,
    "submit_evaluation": submit_evaluation,
    "copy_indicator_system": copy_indicator_system,
    "define_indicator_system": define_indicator_system,
    "score_evaluation": score_evaluation,
    "return_evaluation": return_evaluation,
    "report_rectification": report_rectification,
    "follow_up_rectification": follow_up_rectification,
    "create_survey": create_survey,
    "issue_tokens": issue_tokens,
    "open_survey": open_survey,
    "raise_need": raise_need,
}

MATRIX: dict[str, dict[str, bool]] = {
    "create_program": {
        "staff": True,
        "department officer": True,
        "street officer": False,
        "agency manager": False,
        "resident": False,
    },
    "allocate_envelope": {"department officer": True, "street officer": False, "agency manager": False},
    "create_call on the street's envelope": {
        "street officer": True,
        "other street officer": False,
        "department officer": False,
        "agency manager": False,
    },
    "create_draft for agency 1": {
        "agency manager": True,
        "agency social worker": False,
        "other agency manager": False,
        "street officer": False,
        "community worker": False,
    },
    "start_review": {"street officer": True, "other street officer": False, "agency manager": False},
    "submit_scores": {
        "assigned expert": True,
        "another expert": False,
        "street officer": False,
        "staff": False,  # blind scoring: not even staff score for an expert
        "agency manager": False,
    },
    "propose_awards": {"street officer": True, "other street officer": False, "department officer": False},
    "answer_objection": {"street officer": True, "resident": False, "agency manager": False},
    "decide": {"department officer": True, "street officer": False, "agency manager": False},
    "draft_contract": {"street officer": True, "other street officer": False, "agency manager": False},
    "sign_contract": {
        "agency manager": True,
        "agency social worker": False,
        "other agency manager": False,
        "street officer": False,
    },
    "review_milestone": {"street officer": True, "agency manager": False, "other street officer": False},
    "pay_tranche": {
        "department officer": True,
        "street officer": True,  # the purchaser
        "other street officer": False,
        "agency manager": False,
        "evaluator": False,
    },
    "record_service": {
        "agency social worker": True,
        "agency manager": True,
        "other agency social worker": False,
        "other agency manager": False,
        "street officer": False,
    },
    "record_expenditure": {
        "agency manager": True,
        "agency social worker": False,
        "other agency manager": False,
        "street officer": False,
    },
    "assign_evaluation": {"street officer": True, "evaluator": False, "agency manager": False},
    "submit_evaluation": {
        "evaluator": True,
        "agency manager": False,
        "agency social worker": False,
        "street officer": False,
    },
    "copy_indicator_system": {
        "department officer": True,
        "staff": True,
        "street officer": False,
        "agency manager": False,
        "evaluator": False,
    },
    "define_indicator_system": {
        "department officer": True,
        "street officer": False,
        "other street officer": False,
        "evaluator": False,
        "agency manager": False,
    },
    "score_evaluation": {
        "evaluator": True,
        "staff": True,
        "agency manager": False,
        "agency social worker": False,
        "street officer": False,
        "department officer": False,
    },
    "return_evaluation": {
        "street officer": True,  # the purchaser
        "evaluator": False,
        "agency manager": False,
        "other street officer": False,
        "department officer": False,
    },
    "report_rectification": {
        "agency manager": True,
        "agency social worker": False,
        "other agency manager": False,
        "evaluator": False,
        "street officer": False,
    },
    "follow_up_rectification": {
        "evaluator": True,
        "street officer": True,  # the purchaser
        "agency manager": False,
        "other street officer": False,
        "department officer": False,
        "community worker": False,
    },
    "create_survey": {"evaluator": True, "agency manager": False, "street officer": False, "resident": False},
    "issue_tokens": {"evaluator": True, "agency manager": False, "street officer": False, "community worker": False},
    "open_survey": {"evaluator": True, "agency manager": False, "street officer": False},
    "raise_need": {
        "resident": True,
        "community worker": True,
        "other community's resident": False,
        "agency manager": False,
    },
}

CASES = [(action, role, allowed) for action, row in MATRIX.items() for role, allowed in row.items()]


@pytest.fixture(scope="module")
def stages(module_world: w.World, django_db_blocker: Any) -> Iterator[dict[str, Stage]]:
    """Every action's preconditions, built once for the module (each test still rolls back its own writes)."""
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            built = {action: prepare(w.reload(module_world)) for action, prepare in ACTIONS.items()}
        yield built


@pytest.mark.parametrize(
    ("action", "role", "allowed"),
    CASES,
    ids=[f"{action} by {role}: {'yes' if allowed else 'no'}" for action, role, allowed in CASES],
)
def test_permission(world: w.World, stages: dict[str, Stage], action: str, role: str, allowed: bool) -> None:
    stage = stages[action]
    actor = get_user_model().objects.get(pk=stage.roles[role]) if role in stage.roles else ROLES[role](world)
    if allowed:
        assert stage.act(world, actor) is not None
    else:
        with w.refused(Forbidden):
            stage.act(world, actor)


def test_every_action_has_an_allowed_and_a_refused_role() -> None:
    assert set(MATRIX) == set(ACTIONS)
    for action, row in MATRIX.items():
        assert any(row.values()) and not all(row.values()), action
