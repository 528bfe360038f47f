"""Assigning third-party evaluations, scoring them and closing the incentive loop.

Accepting a final evaluation moves the contract's last tranche by the program's grade rule and
writes the agency's performance record, which later reviews read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract
from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import acts_for

from .grading import grade_for, weighted_score
from .models import Evaluation, EvaluationItem, PerformanceRecord


@transaction.atomic
def assign_evaluation(actor: Any, contract: Contract, *, evaluator: Organization, kind: str) -> Evaluation:
    require(
        acts_for(actor, contract.purchaser, Role.OFFICER), _("Only the purchaser assigns evaluations of its contracts.")
    )
    if evaluator.kind != OrgKind.EVALUATOR:
        raise RuleViolation(_("%(o)s is not a third-party evaluator.") % {"o": evaluator})
    if kind not in Evaluation.Kind.values:
        raise RuleViolation(_("Unknown kind of evaluation."))
    if contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("Only an active contract is evaluated."))
    shared = evaluator.memberships.filter(person__memberships__organization=contract.agency)
    if shared.exists():
        raise RuleViolation(
            _("%(e)s shares staff with %(a)s: a conflict of interest.") % {"e": evaluator, "a": contract.agency}
        )
    if Evaluation.objects.filter(contract=contract, kind=kind).exists():
        raise RuleViolation(_("This contract already has that evaluation."))
    evaluation = Evaluation.objects.create(contract=contract, evaluator=evaluator, kind=kind)
    record(actor, "evaluation.assigned", evaluation, after={"evaluator": evaluator.pk, "kind": kind})
    return evaluation


@transaction.atomic
def submit_evaluation(
    actor: Any,
    evaluation: Evaluation,
    *,
    items: Sequence[dict[str, Any]],
    findings: str = "",
    on: date | None = None,
) -> Evaluation:
    """Score the weighted dimensions (weights add up to 100); the total gives the grade."""
    require(
        acts_for(actor, evaluation.evaluator, Role.EVALUATOR),
        _("Only an evaluator of %(o)s may score this evaluation.") % {"o": evaluation.evaluator},
    )
    if evaluation.contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("Only an active contract is evaluated."))
    try:
        pairs = [(Decimal(str(i["weight"])), Decimal(str(i["score"]))) for i in items]
        score = weighted_score(pairs)
    except (ArithmeticError, KeyError):
        raise RuleViolation(_("Each item needs a weight and a score.")) from None
    except ValueError as exc:
        raise RuleViolation(_("The evaluation cannot be scored: %(e)s.") % {"e": exc}) from None
    evaluation.items.all().delete()
    EvaluationItem.objects.bulk_create(
        EvaluationItem(
            evaluation=evaluation, code=i["code"], name=i["name"], weight=w, score=s, evidence=i.get("evidence", "")
        )
        for i, (w, s) in zip(items, pairs, strict=True)
    )
    transition(
        evaluation,
        Evaluation.State.SUBMITTED,
        actor=actor,
        fields={
            "score": score,
            "grade": grade_for(score),
            "findings": findings,
            "submitted_on": on or timezone.localdate(),
        },
    )
    return evaluation


@transaction.atomic
def accept_evaluation(actor: Any, evaluation: Evaluation) -> Evaluation:
    contract = evaluation.contract
    require(
        acts_for(actor, contract.purchaser, Role.OFFICER), _("Only the purchaser accepts evaluations of its contracts.")
    )
    transition(evaluation, Evaluation.State.ACCEPTED, actor=actor)
    if evaluation.kind == Evaluation.Kind.FINAL:
        assert evaluation.score is not None
        PerformanceRecord.objects.create(
            agency=contract.agency,
            contract=contract,
            fiscal_year=contract.award.application.call.program.fiscal_year,
            score=evaluation.score,
            grade=evaluation.grade,
        )
        contract_services.apply_final_grade(actor, contract, evaluation.grade)
    return evaluation
