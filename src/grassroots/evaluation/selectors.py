"""Reads of the evaluation stage: indicator systems, the facts computed indicators read, evaluation
reports, survey results, performance records and the community and street scorecards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from grassroots.applications.models import Indicator
from grassroots.contracts.models import Contract, ContractLine, Milestone
from grassroots.contracts.selectors import visible_to as contracts_visible_to
from grassroots.core.money import sum_of
from grassroots.core.permissions import is_staff
from grassroots.delivery import progress
from grassroots.delivery import selectors as delivery_selectors
from grassroots.delivery.models import Expenditure, ServiceRecord
from grassroots.funding.models import Call, Program
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import orgs_where

from . import computed, indicators, scorecards, surveys
from .models import (
    Evaluation,
    EvaluationItem,
    Finding,
    IndicatorSystem,
    PerformanceRecord,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyToken,
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
    totals = delivery_selectors.totals_of(contract, until=day)
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
        .select_related("evaluation__contract__agency", "evaluation__contract__award__application")
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
        .select_related("evaluation__contract__agency", "evaluation__contract__award__application")
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


# --- what the pages read -------------------------------------------------------------------------


def for_page(user: Any) -> QuerySet[Evaluation]:
    """Evaluations `user` may open, with what their page shows beside them."""
    return visible_to(user).select_related(
        "contract__agency",
        "contract__purchaser",
        "contract__category",
        "contract__award__application__call__program",
        "evaluator",
        "system",
    )


def findings_visible_to(user: Any) -> QuerySet[Finding]:
    return Finding.objects.filter(evaluation__in=visible_to(user).values("pk")).select_related(
        "evaluation__contract__agency", "evaluation__contract__purchaser", "evaluation__evaluator"
    )


def surveys_visible_to(user: Any) -> QuerySet[Survey]:
    """Surveys are seen by whoever sees their evaluation."""
    return Survey.objects.filter(evaluation__in=visible_to(user).values("pk")).select_related(
        "evaluation__contract__agency", "evaluation__contract__award__application", "evaluation__evaluator"
    )


def _with_counts(surveys: QuerySet[Survey]) -> QuerySet[Survey]:
    """Annotate `issued` and `answered` (tokens issued, responses), each counted without multiplying the other."""
    issued = SurveyToken.objects.filter(survey=OuterRef("pk")).values("survey").annotate(n=Count("pk")).values("n")
    answered = SurveyResponse.objects.filter(survey=OuterRef("pk")).values("survey").annotate(n=Count("pk")).values("n")
    return surveys.annotate(
        issued=Coalesce(Subquery(issued, output_field=IntegerField()), 0),
        answered=Coalesce(Subquery(answered, output_field=IntegerField()), 0),
    )


def surveys_of_evaluator(user: Any, evaluator: Organization) -> QuerySet[Survey]:
    """An evaluator's surveys with tokens issued and responses, open ones first."""
    return (
        _with_counts(surveys_visible_to(user).filter(evaluation__evaluator=evaluator))
        .annotate(
            open_first=Case(
                When(state=Survey.State.OPEN, then=Value(0)),
                When(state=Survey.State.DRAFT, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("open_first", "-pk")
    )


def surveys_of(evaluation: Evaluation) -> QuerySet[Survey]:
    return _with_counts(Survey.objects.filter(evaluation=evaluation)).order_by("pk")


def unused_serials(survey: Survey) -> list[tuple[int, str]]:
    """The serial numbers (and who the sheet was handed to) of the tokens not used yet: what a sheet prints."""
    return list(
        SurveyToken.objects.filter(survey=survey, used=False).order_by("serial").values_list("serial", "handed_to")
    )


@dataclass(frozen=True)
class TokenBatch:
    handed_to: str
    first: int
    last: int
    issued: int
    used: int


def token_batches(survey: Survey) -> list[TokenBatch]:
    """Tokens by whom they were handed to: how many were issued and used (never which answered what)."""
    rows = (
        SurveyToken.objects.filter(survey=survey)
        .values("handed_to")
        .annotate(first=Min("serial"), last=Max("serial"), issued=Count("pk"), used=Count("pk", filter=Q(used=True)))
        .order_by("first")
    )
    return [TokenBatch(r["handed_to"], r["first"], r["last"], r["issued"], r["used"]) for r in rows]


def token_state(text: str) -> tuple[Survey | None, bool]:
    """The survey a typed code belongs to, and whether the code was used (None, False for no such code)."""
    token = (
        SurveyToken.objects.filter(digest=surveys.digest(text))
        .select_related("survey__evaluation__contract__award__application", "survey__evaluation__contract__agency")
        .first()
    )
    if token is None:
        return None, False
    return token.survey, token.used


def awaiting_acceptance(user: Any, purchaser: Organization) -> QuerySet[Evaluation]:
    """Submitted evaluations of the purchaser's contracts, waiting for it to accept or return them."""
    return (
        visible_to(user)
        .filter(contract__purchaser=purchaser, state=Evaluation.State.SUBMITTED)
        .select_related("contract__agency", "contract__award__application", "evaluator")
        .order_by("submitted_on", "pk")
    )


def programs_visible_to(user: Any) -> QuerySet[Program]:
    """Programs once opened are public documents; a draft only to its department's officers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Program.objects.none()
    if is_staff(user):
        return Program.objects.all()
    return Program.objects.filter(
        ~Q(state=Program.State.DRAFT) | Q(department__in=orgs_where(user, Role.OFFICER))
    ).select_related("department")


def systems_of(programs: Iterable[Program]) -> dict[int, IndicatorSystem]:
    """The programs' own indicator systems, by program id (a program without one uses the default)."""
    return {s.program_id: s for s in IndicatorSystem.objects.filter(program__in=[p.pk for p in programs])}


def calls_of_program(program: Program) -> QuerySet[Call]:
    return Call.objects.filter(program=program).exclude(state=Call.State.DRAFT).order_by("opens_on", "pk")


def performance_mean(agency: Organization) -> Decimal | None:
    mean = PerformanceRecord.objects.filter(agency=agency).aggregate(mean=Avg("score"))["mean"]
    return None if mean is None else Decimal(mean).quantize(Decimal("0.01"))


def latest_performance(agency: Organization, limit: int = 5) -> list[PerformanceRecord]:
    return list(performance_of(agency).select_related("contract__award__application")[:limit])


@dataclass(frozen=True)
class Computed:
    points: Decimal | None
    basis: Any  # the Message as stored data


def computed_preview(evaluation: Evaluation, day: date) -> dict[str, Computed]:
    """What the data gives each computed and survey leaf as of `day`, without writing it: the scoring form
    shows it before the evaluator's first save (saving stores the same values, see `services.refresh_computed`)."""
    leaves = [i for i in evaluation.items.all() if i.is_leaf and i.source not in ("", "manual")]
    if not leaves:
        return {}
    facts = delivery_facts(evaluation.contract, day, final=evaluation.kind == Evaluation.Kind.FINAL)
    answers = survey_facts(evaluation)
    out = {}
    for item in leaves:
        result = computed.compute(item.metric, facts, answers)
        value = None if result.attainment is None else indicators.points(item.weight, result.attainment)
        out[item.code] = Computed(value, result.basis.as_data())
    return out


# --- reads over contracts the reader already sees (dashboards and lists build that set once) --------------


def awaiting_acceptance_on(contract_ids: Iterable[int]) -> QuerySet[Evaluation]:
    """Submitted evaluations of the given contracts, waiting for their purchaser to accept or return them.

    The ids must come from a visibility rule (e.g. `contracts.selectors.purchased_by(user, org)`): given a
    purchaser's contracts that `user` sees, this is `awaiting_acceptance(user, purchaser)` without building
    that rule again."""
    return (
        Evaluation.objects.filter(contract_id__in=list(contract_ids), state=Evaluation.State.SUBMITTED)
        .select_related("contract__agency", "contract__award__application", "evaluator")
        .order_by("submitted_on", "pk")
    )


def rectifications_on(contract_ids: Iterable[int]) -> QuerySet[Finding]:
    """Rectifications still to do or to check on the given (visible) contracts, the earliest deadline first:
    `rectifications_to_follow(user)` narrowed to those contracts."""
    return (
        Finding.objects.filter(
            evaluation__contract_id__in=list(contract_ids),
            evaluation__state=Evaluation.State.ACCEPTED,
            state__in=[Finding.State.OPEN, Finding.State.RESPONDED],
        )
        .select_related("evaluation__contract__agency", "evaluation__contract__award__application")
        .order_by("due_on", "pk")
    )


def surveys_on(evaluation_ids: Iterable[int]) -> QuerySet[Survey]:
    """The surveys of the given (visible) evaluations with tokens issued and responses, open ones first:
    `surveys_of_evaluator(user, org)` for the ids of `of_evaluator(user, org)`."""
    return (
        _with_counts(
            Survey.objects.filter(evaluation_id__in=list(evaluation_ids)).select_related(
                "evaluation__contract__agency", "evaluation__contract__award__application", "evaluation__evaluator"
            )
        )
        .annotate(
            open_first=Case(
                When(state=Survey.State.OPEN, then=Value(0)),
                When(state=Survey.State.DRAFT, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("open_first", "-pk")
    )


def rectifications_of_evaluations(evaluation_ids: Iterable[int]) -> QuerySet[Finding]:
    """Rectifications still to do or to check on the given (visible) evaluations, the earliest deadline first."""
    return (
        Finding.objects.filter(
            evaluation_id__in=list(evaluation_ids),
            evaluation__state=Evaluation.State.ACCEPTED,
            state__in=[Finding.State.OPEN, Finding.State.RESPONDED],
        )
        .select_related("evaluation__contract__agency", "evaluation__contract__award__application")
        .order_by("due_on", "pk")
    )
