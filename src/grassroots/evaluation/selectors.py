"""Reads of the evaluation stage: indicator systems, the facts computed indicators read, evaluation
reports, survey results, performance records and the community and street scorecards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Case, Count, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from grassroots.applications.models import Indicator
from grassroots.contracts.models import Contract, ContractLine, Milestone
from grassroots.contracts.selectors import visible_to as contracts_visible_to
from grassroots.core.money import sum_of
from grassroots.delivery import progress
from grassroots.delivery.models import Expenditure, ServiceRecord
from grassroots.orgs.models import Organization, OrgKind

from . import computed, indicators, scorecards
from .models import (
    Evaluation,
    EvaluationItem,
    Finding,
    IndicatorSystem,
    PerformanceRecord,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
)

# --- indicator systems -----------------------------------------------------------------------------


def nodes_of(system: IndicatorSystem | None) -> list[indicators.Node]:
    """A stored system as plain nodes; the shipped default when there is none."""
    if system is None:
        return list(indicators.DEFAULT_SYSTEM)
    return [
        indicators.Node(
            code=n.code,
            name=n.name,
            weight=n.weight,
            parent=n.parent_code,
            name_en=n.name_en,
            source=n.source,
            metric=n.metric,
            rubric=n.rubric,
            rubric_en=n.rubric_en,
        )
        for n in system.nodes.order_by("position")
    ]


def system_of(program: Any) -> IndicatorSystem | None:
    return IndicatorSystem.objects.filter(program=program).first()


def copyable_systems(department: Organization) -> QuerySet[IndicatorSystem]:
    """Systems of the department's other programs, which a new program may start from."""
    return (
        IndicatorSystem.objects.filter(program__department=department)
        .select_related("program")
        .order_by("-program__fiscal_year", "program__title")
    )


# --- what computed indicators read -------------------------------------------------------------------


def delivery_facts(contract: Contract, day: date, *, final: bool) -> computed.DeliveryFacts:
    """The contract's delivery up to `day` (records and spending after it do not count)."""
    records = ServiceRecord.objects.filter(contract=contract, held_on__lte=day)
    totals = [
        progress.Totals(
            row["kind"],
            row["sessions"],
            row["beneficiaries_sum"] or 0,
            Decimal(str(row["hours"] or 0)),
            Decimal(str(row["volunteer"] or 0)),
            row["residents"] or 0,
        )
        for row in records.values("kind").annotate(
            sessions=Count("pk"),
            beneficiaries_sum=Sum("beneficiaries"),
            hours=Sum("service_hours"),
            volunteer=Sum("volunteer_hours"),
            residents=Sum("resident_participants"),
        )
    ]
    targets = []
    for indicator in Indicator.objects.filter(application_id=contract.award.application_id).order_by("pk"):
        if indicator.measure == "manual":
            continue
        measured = progress.measure(
            progress.Target(indicator.name, indicator.measure, indicator.service_kind, indicator.target), totals
        )
        targets.append(computed.TargetShare(measured.target, measured.actual))
    spending = Expenditure.objects.filter(contract=contract, spent_on__lte=day)
    backed = spending.filter(~Q(receipt="") | Q(attachments__isnull=False)).distinct()
    groups = records.filter(kind__in=["group", "community"])
    return computed.DeliveryFacts(
        day=day,
        expected=Decimal(1) if final else progress.elapsed(contract.starts_on, contract.ends_on, day),
        targets=targets,
        budget=sum_of(ContractLine.objects.filter(contract=contract), "amount"),
        spent=sum_of(spending, "amount"),
        spent_with_receipt=sum_of(Expenditure.objects.filter(pk__in=backed.values("pk")), "amount"),
        milestones=list(Milestone.objects.filter(contract=contract).values_list("due_on", "accepted_on")),
        group_sessions=groups.count(),
        engaged_sessions=groups.filter(Q(volunteers__gt=0) | Q(resident_participants__gt=0)).count(),
    )


def survey_facts(evaluation: Evaluation) -> computed.SurveyFacts:
    """The rating answers of all the evaluation's surveys (that have been opened)."""
    answers = SurveyAnswer.objects.filter(
        response__survey__evaluation=evaluation, question__kind=SurveyQuestion.Kind.LIKERT, value__isnull=False
    )
    counts = {row["value"]: row["n"] for row in answers.values("value").annotate(n=Count("pk"))}
    responses = Survey.objects.filter(evaluation=evaluation).aggregate(n=Count("responses"))["n"] or 0
    scale = Survey.objects.filter(evaluation=evaluation).values_list("scale", flat=True).first() or 5
    return computed.SurveyFacts(responses=responses, counts=counts, scale=scale)


# --- evaluations ----------------------------------------------------------------------------------


def visible_to(user: Any) -> QuerySet[Evaluation]:
    """Evaluations are seen by whoever sees their contract (the evaluator included)."""
    return Evaluation.objects.filter(contract__in=contracts_visible_to(user).values("pk"))


def of_evaluator(user: Any, evaluator: Organization) -> QuerySet[Evaluation]:
    """The evaluations an evaluator organization was assigned, open ones first."""
    return (
        visible_to(user)
        .filter(evaluator=evaluator)
        .select_related("contract", "contract__agency", "contract__award__application")
        .annotate(
            open_first=Case(
                When(state=Evaluation.State.ASSIGNED, then=Value(0)),
                When(state=Evaluation.State.SUBMITTED, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("open_first", "-contract__starts_on", "kind")
    )


def of_contract(contract: Contract) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(contract=contract).select_related("evaluator").order_by("kind")


def record_of(contract: Contract) -> PerformanceRecord | None:
    """The performance record the contract's final evaluation wrote, if any."""
    return PerformanceRecord.objects.filter(contract=contract).first()


@dataclass
class ReportRow:
    level: int
    item: EvaluationItem
    earned: Decimal | None  # a group's sum of its children; a leaf's points


@dataclass
class Report:
    evaluation: Evaluation
    rows: list[ReportRow]
    findings: list[Finding]
    surveys: list[SurveyResults]
    scored: int
    leaves: int


def report(evaluation: Evaluation) -> Report:
    """The evaluation as its report shows it: the indicator tree with points, findings and survey results."""
    items = list(evaluation.items.order_by("position"))
    nodes = [indicators.Node(i.code, i.name, i.weight, i.parent_code) for i in items]
    by_code = {i.code: i for i in items}
    earned_leaves = {i.code: i.points for i in items if i.is_leaf and i.points is not None}
    sums = indicators.subtotals(nodes, earned_leaves)
    leaves = [i for i in items if i.is_leaf]
    rows = [
        ReportRow(level, by_code[n.code], (by_code[n.code].points if by_code[n.code].is_leaf else sums.get(n.code)))
        for level, n in indicators.ordered(nodes)
    ]
    return Report(
        evaluation=evaluation,
        rows=rows,
        findings=list(evaluation.findings.order_by("position")),
        surveys=[survey_results(s) for s in evaluation.surveys.order_by("pk")],
        scored=sum(1 for i in leaves if i.points is not None),
        leaves=len(leaves),
    )


# --- surveys -------------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: SurveyQuestion
    counts: list[int] = field(default_factory=list)  # answers giving 1..scale
    texts: list[str] = field(default_factory=list)  # free text, only once there are enough responses

    @property
    def answers(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> Decimal | None:
        if not self.answers:
            return None
        return (Decimal(sum((i + 1) * n for i, n in enumerate(self.counts))) / self.answers).quantize(Decimal("0.01"))

    @property
    def satisfied(self) -> Decimal | None:
        """Share answering at the top two points of the scale."""
        if not self.answers:
            return None
        return Decimal(sum(self.counts[-2:])) / self.answers


@dataclass
class SurveyResults:
    survey: Survey
    issued: int
    responses: int
    questions: list[QuestionResult]

    @property
    def enough(self) -> bool:
        return self.responses >= computed.MIN_RESPONSES


def survey_results(survey: Survey) -> SurveyResults:
    """Counts per rating; free text in alphabetical order (never in the order given) and only when there
    are enough responses that no single answer can be singled out."""
    responses = survey.responses.count()
    questions = list(survey.questions.order_by("position"))
    counts = Counter(
        (row["question"], row["value"])
        for row in SurveyAnswer.objects.filter(question__survey=survey, value__isnull=False).values("question", "value")
    )
    results = []
    for q in questions:
        result = QuestionResult(q, [counts[(q.pk, v)] for v in range(1, survey.scale + 1)])
        if q.kind == SurveyQuestion.Kind.TEXT and responses >= computed.MIN_RESPONSES:
            result.texts = sorted(q.answers.exclude(text="").values_list("text", flat=True))
        results.append(result)
    return SurveyResults(survey, survey.tokens.count(), responses, results)


# --- findings and rectification --------------------------------------------------------------------


def rectifications_of(agency: Organization) -> QuerySet[Finding]:
    """An agency's rectifications still to do or to be checked, the earliest deadline first."""
    return (
        Finding.objects.filter(
            evaluation__contract__agency=agency,
            evaluation__state=Evaluation.State.ACCEPTED,
            state__in=[Finding.State.OPEN, Finding.State.RESPONDED],
        )
        .select_related("evaluation__contract")
        .order_by("due_on", "pk")
    )


def rectifications_to_follow(user: Any) -> QuerySet[Finding]:
    """Reported rectifications the user (evaluator or purchaser) should check."""
    return (
        Finding.objects.filter(
            evaluation__in=visible_to(user).values("pk"),
            evaluation__state=Evaluation.State.ACCEPTED,
            state__in=[Finding.State.OPEN, Finding.State.RESPONDED],
        )
        .select_related("evaluation__contract", "evaluation__contract__agency")
        .order_by("due_on", "pk")
    )


def overdue(findings: Iterable[Finding], today: date | None = None) -> list[Finding]:
    day = today or timezone.localdate()
    return [f for f in findings if f.state == Finding.State.OPEN and f.due_on is not None and f.due_on < day]


# --- the incentive loop --------------------------------------------------------------------------


def past_performance(agency_ids: Iterable[int], before_year: int, years: int = 3) -> dict[int, Decimal]:
    """Mean final-evaluation score of each agency over the `years` fiscal years before `before_year`.

    This is what a past-performance review criterion reads; an agency without records is absent.
    """
    rows = (
        PerformanceRecord.objects.filter(
            agency_id__in=list(agency_ids), fiscal_year__lt=before_year, fiscal_year__gte=before_year - years
        )
        .values("agency_id")
        .annotate(mean=Avg("score"))
    )
    return {row["agency_id"]: Decimal(row["mean"]).quantize(Decimal("0.01")) for row in rows}


def performance_of(agency: Organization) -> QuerySet[PerformanceRecord]:
    """An agency's performance records, latest first: what its profile shows and later reviews read."""
    return PerformanceRecord.objects.filter(agency=agency).select_related("contract").order_by("-fiscal_year", "pk")


def project_results(
    *, street: Organization | None = None, community: Organization | None = None
) -> list[scorecards.ProjectResult]:
    """Final results of evaluated contracts, with the street and partner communities they credit."""
    records = PerformanceRecord.objects.select_related(
        "contract__award__application__call__envelope", "contract__award__application__call__issuer"
    ).prefetch_related("contract__communities")
    if street is not None:
        records = records.filter(
            Q(contract__award__application__call__envelope__street=street)
            | Q(contract__award__application__call__issuer=street)
        )
    if community is not None:
        records = records.filter(contract__communities=community)
    out = []
    for r in records:
        call = r.contract.award.application.call
        issuer_street = call.issuer_id if call.issuer.kind == OrgKind.STREET else None
        out.append(
            scorecards.ProjectResult(
                contract_id=r.contract_id,
                year=r.fiscal_year,
                amount=r.contract.amount,
                score=r.score,
                grade=r.grade,
                street_id=call.envelope.street_id if call.envelope is not None else issuer_street,
                community_ids=[c.pk for c in r.contract.communities.all()],
            )
        )
    return out


def scorecards_of(org: Organization) -> list[scorecards.Scorecard]:
    """A street's or community's scorecard per year, latest first."""
    if org.kind == OrgKind.STREET:
        streets, _communities = scorecards.scorecards(project_results(street=org))
        return scorecards.by_year(streets, org.pk)
    if org.kind == OrgKind.COMMUNITY:
        _streets, communities = scorecards.scorecards(project_results(community=org))
        return scorecards.by_year(communities, org.pk)
    return []


def community_ranking(street: Organization, year: int) -> list[tuple[Organization, scorecards.Scorecard]]:
    """The street's communities by the performance credit their projects brought in `year`."""
    _streets, communities = scorecards.scorecards(project_results(street=street))
    cards = scorecards.ranking(communities, year)
    orgs = Organization.objects.in_bulk([c.org_id for c in cards])
    return [(orgs[c.org_id], c) for c in cards if c.org_id in orgs]
