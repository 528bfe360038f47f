"""Every write of the evaluation stage: indicator systems, evaluations, findings and surveys.

The incentive loop closes here: accepting a final evaluation moves the contract's last tranche by the
program's grade rule and writes the agency's performance record, which later reviews read and which the
community and street scorecards roll up.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract
from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import message_data, render_message
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.funding.models import Program
from grassroots.orgs.models import Affiliation, Organization, OrgKind, Role
from grassroots.orgs.selectors import acts_for, current_memberships

from . import computed, indicators, surveys
from .grading import grade_for
from .models import (
    Evaluation,
    EvaluationItem,
    Finding,
    IndicatorNode,
    IndicatorSystem,
    PerformanceRecord,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyToken,
)
from .selectors import delivery_facts, nodes_of, survey_facts

#: At most this many tokens are issued at once (a printed batch).
MAX_TOKENS = 2000
MAX_TEXT = 2000


def _refuse(problems: Sequence[Any]) -> RuleViolation:
    return RuleViolation([render_message(message_data(p)) for p in problems])


# --- indicator systems -----------------------------------------------------------------------------


def _require_department(actor: Any, program: Program) -> None:
    require(
        acts_for(actor, program.department, Role.OFFICER),
        _("Only an officer of %(org)s edits the indicator system of its programs.")
        % {"org": program.department.local_name},
    )


def _stored(node: indicators.Node) -> dict[str, Any]:
    """A node as the columns an indicator row and an evaluation item share."""
    return {
        "code": node.code,
        "parent_code": node.parent,
        "name": node.name,
        "name_en": node.name_en,
        "weight": node.weight,
        "source": node.source,
        "metric": node.metric,
        "rubric": node.rubric,
        "rubric_en": node.rubric_en,
    }


def _store_nodes(system: IndicatorSystem, nodes: Sequence[indicators.Node]) -> None:
    system.nodes.all().delete()
    IndicatorNode.objects.bulk_create(
        IndicatorNode(system=system, position=i, **_stored(n)) for i, n in enumerate(nodes)
    )


def _new_system(program: Program, source: IndicatorSystem | None) -> IndicatorSystem:
    name, name_en = (source.name, source.name_en) if source else indicators.DEFAULT_NAME
    system = IndicatorSystem.objects.create(program=program, name=name, name_en=name_en, copied_from=source)
    _store_nodes(system, nodes_of(source) if source else list(indicators.DEFAULT_SYSTEM))
    return system


@transaction.atomic
def copy_indicator_system(actor: Any, program: Program, *, source: IndicatorSystem | None = None) -> IndicatorSystem:
    """Give a program its own indicator system, copied from `source` or from the shipped default.

    A program that already has one gets it replaced, unless it is frozen.
    """
    _require_department(actor, program)
    if source is not None:
        source = IndicatorSystem.objects.get(pk=source.pk)  # as stored, not as the caller last saw it
    existing = IndicatorSystem.objects.select_for_update().filter(program=program).first()
    if existing is not None:
        if existing.frozen_on is not None:
            raise RuleViolation(_("The indicator system of this program is frozen: a call has opened."))
        if source is not None and source.pk == existing.pk:
            raise RuleViolation(_("A system cannot be copied onto itself."))
        existing.delete()
    system = _new_system(program, source)
    record(actor, "indicators.copied", system, after={"program": program.pk, "from": source.pk if source else None})
    return system


@transaction.atomic
def define_indicator_system(
    actor: Any,
    system: IndicatorSystem,
    nodes: Sequence[indicators.Node],
    *,
    name: str | None = None,
    name_en: str | None = None,
) -> IndicatorSystem:
    """Replace a program's indicators with `nodes`, all at once, if they form a valid tree of 100 points."""
    system = IndicatorSystem.objects.select_for_update().select_related("program__department").get(pk=system.pk)
    _require_department(actor, system.program)
    if system.frozen_on is not None:
        raise RuleViolation(_("The indicator system of this program is frozen: a call has opened."))
    nodes = [
        indicators.Node(
            code=n.code.strip(),
            name=n.name.strip(),
            weight=indicators.parse_weight(n.weight) or n.weight,
            parent=n.parent.strip(),
            name_en=n.name_en.strip(),
            source=n.source.strip(),
            metric=n.metric.strip(),
            rubric=n.rubric.strip(),
            rubric_en=n.rubric_en.strip(),
        )
        for n in nodes
    ]
    found = indicators.problems(nodes)
    if found:
        raise _refuse(found)
    if name is not None:
        if not name.strip():
            raise RuleViolation(_("The indicator system needs a name."))
        system.name = name.strip()[:200]
    if name_en is not None:
        system.name_en = name_en.strip()[:200]
    system.save()
    _store_nodes(system, nodes)
    record(actor, "indicators.defined", system, after={"nodes": len(nodes)})
    return system


@transaction.atomic
def freeze_indicators(actor: Any, program: Program, on: date | None = None) -> IndicatorSystem:
    """Called when a call of the program opens: what applicants read is what they will be judged by."""
    system = IndicatorSystem.objects.select_for_update().filter(program=program).first()
    if system is None:
        system = _new_system(program, None)
    if system.frozen_on is None:
        system.frozen_on = on or timezone.localdate()
        system.save(update_fields=["frozen_on"])
        record(actor, "indicators.frozen", system, after={"on": system.frozen_on})
    return system


# --- evaluations -----------------------------------------------------------------------------------


def evaluator_conflicts(evaluator: Organization, contract: Contract) -> list[str]:
    """Why `evaluator` may not evaluate `contract`: staff shared with the agency, or declared ties."""
    reasons = []
    evaluator_staff = evaluator.memberships.filter(current_memberships()).values("person")
    shared = contract.agency.memberships.filter(current_memberships(), person__in=evaluator_staff)
    if shared.exists():
        reasons.append(
            _("%(e)s shares staff with %(a)s: a conflict of interest.") % {"e": evaluator, "a": contract.agency}
        )
    ties = Affiliation.objects.filter(expert__person__in=evaluator_staff, organization=contract.agency).filter(
        Q(until__isnull=True) | Q(until__gte=timezone.localdate())
    )
    if ties.exists():
        reasons.append(
            _("Staff of %(e)s declared ties with %(a)s: a conflict of interest.")
            % {"e": evaluator, "a": contract.agency}
        )
    return reasons


def _program_of(contract: Contract) -> Program:
    return contract.award.application.call.program


@transaction.atomic
def assign_evaluation(
    actor: Any, contract: Contract, *, evaluator: Organization, kind: str, due_on: date | None = None
) -> Evaluation:
    """The purchaser commissions a third-party evaluator; the program's indicator system is copied in."""
    require(
        acts_for(actor, contract.purchaser, Role.OFFICER), _("Only the purchaser assigns evaluations of its contracts.")
    )
    if evaluator.kind != OrgKind.EVALUATOR:
        raise RuleViolation(_("%(o)s is not a third-party evaluator.") % {"o": evaluator.local_name})
    if kind not in Evaluation.Kind.values:
        raise RuleViolation(_("Unknown kind of evaluation."))
    if contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("Only an active contract is evaluated."))
    conflicts = evaluator_conflicts(evaluator, contract)
    if conflicts:
        raise RuleViolation(conflicts)
    if Evaluation.objects.filter(contract=contract, kind=kind).exists():
        raise RuleViolation(_("This contract already has that evaluation."))
    if due_on is not None and due_on < contract.starts_on:
        raise RuleViolation(_("An evaluation cannot be due before the contract starts."))
    program = _program_of(contract)
    system = IndicatorSystem.objects.filter(program=program).first() or freeze_indicators(actor, program)
    evaluation = Evaluation.objects.create(
        contract=contract, evaluator=evaluator, kind=kind, system=system, due_on=due_on
    )
    nodes = nodes_of(system)
    leaf_codes = {n.code for n in indicators.leaves(nodes)}
    EvaluationItem.objects.bulk_create(
        EvaluationItem(evaluation=evaluation, position=i, is_leaf=n.code in leaf_codes, **_stored(n))
        for i, (_level, n) in enumerate(indicators.ordered(nodes))
    )
    record(actor, "evaluation.assigned", evaluation, after={"evaluator": evaluator.pk, "kind": kind})
    return evaluation


def _require_evaluator(actor: Any, evaluation: Evaluation) -> None:
    require(
        acts_for(actor, evaluation.evaluator, Role.EVALUATOR, Role.MANAGER),
        _("Only an evaluator of %(o)s may score this evaluation.") % {"o": evaluation.evaluator.local_name},
    )


def _require_open(evaluation: Evaluation) -> None:
    if evaluation.state != Evaluation.State.ASSIGNED:
        raise RuleViolation(_("This evaluation is submitted: it can no longer be changed."))
    if evaluation.contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("Only an active contract is evaluated."))


def refresh_computed(evaluation: Evaluation, on: date) -> None:
    """Fill the computed and survey indicators from the data as of `on`; keep an evaluator's overrides."""
    facts = delivery_facts(evaluation.contract, on, final=evaluation.kind == Evaluation.Kind.FINAL)
    answers = survey_facts(evaluation)
    for item in evaluation.items.filter(is_leaf=True).exclude(source="manual").exclude(source=""):
        result = computed.compute(item.metric, facts, answers)
        value = None if result.attainment is None else indicators.points(item.weight, result.attainment)
        followed = item.points is None or item.points == item.computed_points
        item.basis = result.basis.as_data()
        if followed:
            item.points = value
        item.computed_points = value
        item.save(update_fields=["basis", "points", "computed_points"])


def _points_of(raw: Any, item: EvaluationItem) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise RuleViolation(
            _("“%(name)s”: “%(v)s” is not a number of points.") % {"name": item.name, "v": raw}
        ) from None
    if not value.is_finite():
        raise RuleViolation(_("“%(name)s”: points have at most two decimals.") % {"name": item.name})
    if not Decimal(0) <= value <= item.weight:  # first: a huge number cannot even be rounded to the cent
        raise RuleViolation(
            _("“%(name)s” earns between 0 and %(max)s points, not %(v)s.")
            % {"name": item.name, "max": item.weight, "v": value}
        )
    if value != value.quantize(Decimal("0.01")):
        raise RuleViolation(_("“%(name)s”: points have at most two decimals.") % {"name": item.name})
    return value


def _apply_scores(evaluation: Evaluation, scores: Mapping[str, Mapping[str, Any]]) -> None:
    items = {i.code: i for i in evaluation.items.all()}
    errors = []
    for code, given in scores.items():
        item = items.get(code)
        if item is None:
            errors.append(_("There is no indicator “%(code)s” in this evaluation.") % {"code": code})
            continue
        if not item.is_leaf:
            errors.append(_("“%(name)s” is scored through its sub-indicators.") % {"name": item.name})
            continue
        try:
            if "points" in given and given["points"] not in (None, ""):
                item.points = _points_of(given["points"], item)
            elif "points" in given:
                item.points = item.computed_points
        except RuleViolation as exc:
            errors.extend(exc.messages)
            continue
        item.evidence = str(given.get("evidence", item.evidence)).strip()[:MAX_TEXT]
        item.comment = str(given.get("comment", item.comment)).strip()[:MAX_TEXT]
        if item.overridden and not item.comment:
            errors.append(
                _("“%(name)s”: say why the points differ from the %(v)s the data gives.")
                % {"name": item.name, "v": item.computed_points}
            )
        item.save(update_fields=["points", "evidence", "comment"])
    if errors:
        raise RuleViolation(errors)


@transaction.atomic
def score_evaluation(
    actor: Any,
    evaluation: Evaluation,
    scores: Mapping[str, Mapping[str, Any]],
    *,
    summary: str | None = None,
    on: date | None = None,
) -> Evaluation:
    """Save the evaluator's work so far: points, evidence and comments per indicator (a draft)."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _require_evaluator(actor, evaluation)
    _require_open(evaluation)
    refresh_computed(evaluation, on or timezone.localdate())
    _apply_scores(evaluation, scores)
    if summary is not None:
        evaluation.summary = summary.strip()[: MAX_TEXT * 5]
        evaluation.save(update_fields=["summary"])
    record(actor, "evaluation.scored", evaluation, after={"indicators": sorted(scores)})
    return evaluation


def _add_findings(evaluation: Evaluation, findings: Sequence[Mapping[str, Any]], on: date) -> None:
    evaluation.findings.all().delete()
    made = []
    for i, f in enumerate(findings):
        text = str(f.get("text", "")).strip()
        requirement = str(f.get("requirement", "") or "").strip()
        due = f.get("due_on")
        if not text:
            raise RuleViolation(_("Finding %(n)s has no text.") % {"n": i + 1})
        if requirement and not isinstance(due, date):
            raise RuleViolation(_("Finding %(n)s requires rectification: give a deadline.") % {"n": i + 1})
        if requirement and isinstance(due, date) and due <= on:
            raise RuleViolation(_("Finding %(n)s: the deadline must come after the evaluation.") % {"n": i + 1})
        made.append(
            Finding(
                evaluation=evaluation,
                position=i,
                text=text[:MAX_TEXT],
                requirement=requirement[:MAX_TEXT],
                due_on=due if requirement else None,
                state=Finding.State.OPEN if requirement else Finding.State.NOTED,
            )
        )
    Finding.objects.bulk_create(made)


@transaction.atomic
def submit_evaluation(
    actor: Any,
    evaluation: Evaluation,
    *,
    scores: Mapping[str, Mapping[str, Any]] | None = None,
    summary: str | None = None,
    findings: Sequence[Mapping[str, Any]] | None = None,
    on: date | None = None,
) -> Evaluation:
    """Submit a complete evaluation: every indicator scored; the total gives the grade.

    `findings` replace those of an earlier submission; left out (None), a resubmission keeps them, as
    it keeps the summary.
    """
    evaluation = Evaluation.objects.select_for_update().select_related("contract").get(pk=evaluation.pk)
    _require_evaluator(actor, evaluation)
    _require_open(evaluation)
    day = on or timezone.localdate()
    refresh_computed(evaluation, day)
    _apply_scores(evaluation, scores or {})
    leaves = list(evaluation.items.filter(is_leaf=True))
    missing = [i.name for i in leaves if i.points is None]
    if missing:
        raise RuleViolation(
            _("Score every indicator before submitting; missing: %(names)s.") % {"names": "; ".join(missing)}
        )
    # Data that arrived after the evaluator scored an indicator by hand makes the points an override too.
    unexplained = [
        _("“%(name)s”: say why the points differ from the %(v)s the data gives.")
        % {"name": i.name, "v": i.computed_points}
        for i in leaves
        if i.overridden and not i.comment
    ]
    if unexplained:
        raise RuleViolation(unexplained)
    if findings is None:
        findings = [
            {"text": f.text, "requirement": f.requirement, "due_on": f.due_on}
            for f in evaluation.findings.order_by("position")
        ]
    _add_findings(evaluation, findings, day)
    score = indicators.total(i.points for i in leaves if i.points is not None)
    transition(
        evaluation,
        Evaluation.State.SUBMITTED,
        actor=actor,
        fields={
            "score": score,
            "grade": grade_for(score),
            "summary": evaluation.summary if summary is None else summary.strip(),
            "submitted_on": day,
            "returned_because": "",
        },
    )
    return evaluation


def _require_purchaser(actor: Any, evaluation: Evaluation) -> None:
    require(
        acts_for(actor, evaluation.contract.purchaser, Role.OFFICER),
        _("Only the purchaser accepts evaluations of its contracts."),
    )


@transaction.atomic
def return_evaluation(actor: Any, evaluation: Evaluation, reason: str) -> Evaluation:
    """The purchaser sends a submitted evaluation back to the evaluator, saying why."""
    evaluation = Evaluation.objects.select_for_update().select_related("contract").get(pk=evaluation.pk)
    _require_purchaser(actor, evaluation)
    if not reason.strip():
        raise RuleViolation(_("Say why the evaluation goes back."))
    transition(
        evaluation, Evaluation.State.ASSIGNED, actor=actor, reason=reason, fields={"returned_because": reason.strip()}
    )
    return evaluation


@transaction.atomic
def accept_evaluation(actor: Any, evaluation: Evaluation, on: date | None = None) -> Evaluation:
    """Accepting a final evaluation moves the last tranche and writes the agency's performance record (`on`:
    the day it was accepted, when recorded later; never before it was submitted)."""
    evaluation = Evaluation.objects.select_for_update().select_related("contract").get(pk=evaluation.pk)
    contract = evaluation.contract
    _require_purchaser(actor, evaluation)
    if on is not None and evaluation.submitted_on is not None and on < evaluation.submitted_on:
        raise RuleViolation(_("An evaluation cannot be accepted before it was submitted."))
    transition(evaluation, Evaluation.State.ACCEPTED, actor=actor, on=on)
    if evaluation.kind == Evaluation.Kind.FINAL:
        assert evaluation.score is not None
        PerformanceRecord.objects.create(
            agency=contract.agency,
            contract=contract,
            fiscal_year=_program_of(contract).fiscal_year,
            score=evaluation.score,
            grade=evaluation.grade,
        )
        contract_services.apply_final_grade(actor, contract, evaluation.grade, on=on)
    return evaluation


# --- findings and rectification --------------------------------------------------------------------


@transaction.atomic
def report_rectification(actor: Any, finding: Finding, response: str, on: date | None = None) -> Finding:
    """The agency reports what it changed in answer to a finding."""
    finding = Finding.objects.select_for_update().select_related("evaluation__contract").get(pk=finding.pk)
    contract = finding.evaluation.contract
    require(
        acts_for(actor, contract.agency, Role.MANAGER),
        _("Only a manager of %(o)s reports its rectifications.") % {"o": contract.agency.local_name},
    )
    if finding.evaluation.state != Evaluation.State.ACCEPTED:
        raise RuleViolation(_("Rectification starts once the purchaser has accepted the evaluation."))
    if not response.strip():
        raise RuleViolation(_("Say what was rectified."))
    day = on or timezone.localdate()
    submitted = finding.evaluation.submitted_on
    if submitted is not None and day < submitted:
        raise RuleViolation(_("A rectification is reported after the evaluation that asked for it."))
    transition(
        finding,
        Finding.State.RESPONDED,
        actor=actor,
        fields={"response": response.strip()[:MAX_TEXT], "responded_on": day},
    )
    return finding


@transaction.atomic
def follow_up_rectification(
    actor: Any,
    finding: Finding,
    *,
    accepted: bool,
    verdict: str = "",
    due_on: date | None = None,
    on: date | None = None,
) -> Finding:
    """The evaluator or the purchaser checks a rectification: closed, or reopened with a new deadline."""
    finding = Finding.objects.select_for_update().select_related("evaluation__contract").get(pk=finding.pk)
    evaluation = finding.evaluation
    require(
        acts_for(actor, evaluation.evaluator, Role.EVALUATOR, Role.MANAGER)
        or acts_for(actor, evaluation.contract.purchaser, Role.OFFICER),
        _("Only the evaluator or the purchaser follows up a rectification."),
    )
    day = on or timezone.localdate()
    if accepted:
        transition(finding, Finding.State.CLOSED, actor=actor, fields={"verdict": verdict.strip(), "closed_on": day})
    else:
        if not verdict.strip():
            raise RuleViolation(_("Say what is still to be rectified."))
        if due_on is None or due_on <= day:
            raise RuleViolation(_("Give a new deadline after today."))
        transition(
            finding,
            Finding.State.OPEN,
            actor=actor,
            reason=verdict,
            fields={"verdict": verdict.strip(), "due_on": due_on},
        )
    return finding


# --- satisfaction surveys --------------------------------------------------------------------------


@transaction.atomic
def create_survey(
    actor: Any,
    evaluation: Evaluation,
    *,
    title: str = "",
    title_en: str = "",
    questions: Sequence[tuple[str, str, str]] | None = None,
) -> Survey:
    """A survey of the residents a contract served, with the default questionnaire unless one is given."""
    evaluation = Evaluation.objects.select_for_update().select_related("contract").get(pk=evaluation.pk)
    _require_evaluator(actor, evaluation)
    _require_open(evaluation)
    questions = list(questions if questions is not None else surveys.DEFAULT_QUESTIONS)
    if not any(kind == SurveyQuestion.Kind.LIKERT for kind, _t, _e in questions):
        raise RuleViolation(_("A satisfaction survey needs at least one rating question."))
    for kind, text, _en in questions:
        if kind not in SurveyQuestion.Kind.values:
            raise RuleViolation(_("A question is a rating or free text."))
        if not text.strip():
            raise RuleViolation(_("Every question needs its text."))
    survey = Survey.objects.create(
        evaluation=evaluation,
        title=(title.strip() or surveys.DEFAULT_TITLE[0])[:200],
        title_en=(title_en.strip() or ("" if title.strip() else surveys.DEFAULT_TITLE[1]))[:200],
        salt=secrets.token_hex(16),
    )
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(survey=survey, position=i, kind=kind, text=text.strip()[:300], text_en=en.strip()[:300])
        for i, (kind, text, en) in enumerate(questions)
    )
    record(actor, "survey.created", survey, after={"evaluation": evaluation.pk, "questions": len(questions)})
    return survey


def token_of(survey: Survey, serial: int) -> str:
    return surveys.derive(settings.SECRET_KEY, survey.salt, serial)


@transaction.atomic
def issue_tokens(actor: Any, survey: Survey, count: int, *, handed_to: str = "") -> list[str]:
    """Issue `count` new one-time tokens (for a printed sheet); returns them, the database keeps digests."""
    survey = Survey.objects.select_for_update().select_related("evaluation").get(pk=survey.pk)
    _require_evaluator(actor, survey.evaluation)
    if survey.state == Survey.State.CLOSED:
        raise RuleViolation(_("This survey is closed."))
    if not 1 <= count <= MAX_TOKENS:
        raise RuleViolation(_("Issue between 1 and %(max)s tokens at a time.") % {"max": MAX_TOKENS})
    first = (survey.tokens.order_by("-serial").values_list("serial", flat=True).first() or 0) + 1
    serials = range(first, first + count)
    issued = [token_of(survey, s) for s in serials]
    SurveyToken.objects.bulk_create(
        SurveyToken(survey=survey, serial=s, digest=surveys.digest(t), handed_to=handed_to.strip()[:200])
        for s, t in zip(serials, issued, strict=True)
    )
    record(actor, "survey.tokens_issued", survey, after={"from": first, "count": count})
    return issued


@transaction.atomic
def open_survey(actor: Any, survey: Survey) -> Survey:
    """Open a survey for answers, while its evaluation is still being scored."""
    survey = Survey.objects.select_for_update().select_related("evaluation__contract").get(pk=survey.pk)
    _require_evaluator(actor, survey.evaluation)
    _require_open(survey.evaluation)
    transition(survey, Survey.State.OPEN, actor=actor)
    return survey


@transaction.atomic
def close_survey(actor: Any, survey: Survey) -> Survey:
    survey = Survey.objects.select_for_update().select_related("evaluation").get(pk=survey.pk)
    _require_evaluator(actor, survey.evaluation)
    transition(survey, Survey.State.CLOSED, actor=actor)
    record(actor, "survey.responses", survey, after={"responses": survey.responses.count()})
    return survey


def survey_of_token(text: str) -> Survey | None:
    """The open-or-closed survey a typed token belongs to (for the answer page), whether used or not."""
    token = SurveyToken.objects.filter(digest=surveys.digest(text)).select_related("survey").first()
    return token.survey if token else None


@transaction.atomic
def answer_survey(token_text: str, answers: Mapping[int, Any]) -> Survey:
    """Record one anonymous response with a one-time token; a used or unknown token is refused.

    The token is marked used by a conditional update, so of two simultaneous answers with one token exactly
    one succeeds. The response keeps no reference to the token, no time and no person.
    """
    token = SurveyToken.objects.filter(digest=surveys.digest(token_text)).select_related("survey").first()
    if token is None:
        raise RuleViolation(_("This code is not valid. Check the code on your sheet."))
    survey = token.survey
    if survey.state != Survey.State.OPEN:
        raise RuleViolation(_("This survey is not open for answers."))
    questions = list(survey.questions.all())
    rows: list[tuple[SurveyQuestion, int | None, str]] = []
    errors = []
    for q in questions:
        raw = answers.get(q.pk)
        if q.kind == SurveyQuestion.Kind.LIKERT:
            try:
                value = int(str(raw))
            except (TypeError, ValueError):
                errors.append(_("Please answer: %(q)s") % {"q": q.text})
                continue
            if not 1 <= value <= survey.scale:
                errors.append(_("An answer lies between 1 and %(n)s.") % {"n": survey.scale})
                continue
            rows.append((q, value, ""))
        elif raw is not None and str(raw).strip():
            rows.append((q, None, str(raw).strip()[:MAX_TEXT]))
    unknown = set(answers) - {q.pk for q in questions}
    if unknown:
        errors.append(_("The answers do not belong to this survey."))
    if errors:
        raise RuleViolation(errors)
    if SurveyToken.objects.filter(pk=token.pk, used=False).update(used=True) != 1:
        raise RuleViolation(_("This code has already been used: each code answers once."))
    response = SurveyResponse.objects.create(survey=survey)
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(response=response, question=q, value=value, text=text) for q, value, text in rows
    )
    # Not audited one by one: a timed event per answer would tell the order and the time of each response.
    # Closing the survey records how many came in.
    return survey
