"""What is public: the one definition the portal's pages and the API's read endpoints both read.

Public (information a purchaser of public services owes the public):
- programs once opened, calls once opened (a draft is the office's own business);
- an award list once its publicity period has begun (公示), and after the decision; the applications
  on it (title, lead agency, partner communities, category, score, rank, amount), revoked awards aside;
- contracts once signed: parties, amount, term, budget lines, milestones, tranches and payments, and
  what was delivered and spent, as totals only;
- accepted evaluations: kind, evaluator, score, grade and the points of each top-level dimension;
- organizations (legal entities with a unified social credit code) and an agency's performance records.

Never public, whatever the state: people (residents, beneficiaries and their codes, social workers,
officers, reviewers — who reviewed what is never shown, before or after the panel), survey answers,
applications that are not on a publicised award list (drafts, competitors' bids, those not funded),
review scores of single reviewers, conflicts, objections' texts and authors, milestone reports, service
records and expenditures one by one, evaluation comments, evidence and findings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from grassroots.applications.models import Application, BudgetHead, ServiceKind
from grassroots.awards.models import Award, AwardList
from grassroots.contracts.models import Contract, ContractLine, Milestone, Payment, Tranche
from grassroots.contracts.selectors import with_paid
from grassroots.core.money import ZERO, round_money, total
from grassroots.delivery.models import Expenditure, ServiceRecord
from grassroots.evaluation.models import Evaluation, EvaluationItem, Grade, PerformanceRecord
from grassroots.funding.models import Call, Criterion, Program, ServiceCategory
from grassroots.orgs.models import Organization, OrgKind

#: Contracts in these states have been signed, so they are public.
SIGNED = (Contract.State.ACTIVE, Contract.State.COMPLETED, Contract.State.TERMINATED)
#: Award lists in these states have been publicised (and, for a list in publicity, once its period began).
PUBLIC_LIST_STATES = (AwardList.State.PUBLICITY, AwardList.State.DECIDED)


# --- programs and calls --------------------------------------------------------------------------


def programs() -> QuerySet[Program]:
    """Programs once opened (a draft is its department's own)."""
    return (
        Program.objects.exclude(state=Program.State.DRAFT)
        .select_related("department")
        .order_by("-fiscal_year", "title", "pk")
    )


def calls() -> QuerySet[Call]:
    """Calls once opened (申报指南 are published documents); cancelled ones stay, marked as such. Each carries
    `handed_in`: how many applications it received (a number only: their contents stay the applicants')."""
    return (
        Call.objects.exclude(state=Call.State.DRAFT)
        .filter(program__in=programs())
        .select_related("program", "issuer")
        .annotate(
            handed_in=Count("applications", filter=~Q(applications__state=Application.State.DRAFT), distinct=True)
        )
        .order_by("-opens_on", "reference")
    )


def criteria_of(call: Call) -> list[Criterion]:
    return list(call.criteria.order_by("position", "pk"))


def categories_of(obj: Program | Call) -> list[ServiceCategory]:
    return list(obj.categories.order_by("code"))


# --- award lists ---------------------------------------------------------------------------------


def award_lists(today: date | None = None) -> QuerySet[AwardList]:
    """Award lists whose publicity has begun (a list proposed but not yet publicised is not public)."""
    day = today or timezone.localdate()
    return (
        AwardList.objects.filter(
            Q(state=AwardList.State.DECIDED) | Q(state=AwardList.State.PUBLICITY, publicity_from__lte=day),
            call__in=calls(),
        )
        .select_related("call", "call__program", "call__issuer")
        .order_by("-publicity_from", "-pk")
    )


def awards_on(award_list: AwardList) -> list[Award]:
    """The awards of a public list in rank order; revoked ones are no longer on it."""
    return list(
        award_list.awards.exclude(state=Award.State.REVOKED)
        .select_related("application", "application__lead_agency", "application__category")
        .prefetch_related("application__communities")
        .order_by("application__rank", "application__reference")
    )


def awards() -> QuerySet[Award]:
    """Every award on a public list (not revoked): the applications the public may read about."""
    return Award.objects.filter(award_list__in=award_lists()).exclude(state=Award.State.REVOKED)


def award_list_of(call: Call) -> AwardList | None:
    """The call's public award list, if its publicity has begun."""
    return award_lists().filter(call=call).first()


def public_contract_of(award: Award) -> Contract | None:
    return contracts().filter(award=award).first()


# --- contracts -----------------------------------------------------------------------------------


def contracts() -> QuerySet[Contract]:
    """Signed contracts (active, completed or terminated), with what has been paid on each."""
    return with_paid(
        Contract.objects.filter(state__in=SIGNED).select_related(
            "agency", "purchaser", "category", "award__application__call__program"
        )
    ).order_by("-starts_on", "number")


@dataclass(frozen=True)
class TrancheLine:
    tranche: Tranche
    milestone: Milestone
    payment: Payment | None


@dataclass(frozen=True)
class BudgetUse:
    line: ContractLine
    spent: Decimal

    @property
    def head(self) -> Any:
        return dict(BudgetHead.choices).get(self.line.head, self.line.head)

    @property
    def share(self) -> Decimal | None:
        return self.spent / self.line.amount if self.line.amount else None


@dataclass(frozen=True)
class DeliveryTotal:
    """What was delivered of one kind of service: sums only, never a record or a person."""

    kind: str
    label: Any
    sessions: int
    beneficiaries: int
    service_hours: Decimal
    volunteer_hours: Decimal
    resident_participants: int


@dataclass(frozen=True)
class ContractParts:
    communities: list[Organization]
    milestones: list[Milestone]
    tranches: list[TrancheLine]
    paid: Decimal
    lines: list[BudgetUse]
    spent: Decimal
    delivery: list[DeliveryTotal]
    evaluations: list[Evaluation]


def contract_parts(contract: Contract) -> ContractParts:
    """A public contract's parts: partners, milestones (no reports), tranches and payments (no payer),
    budget lines with what was spent on each, delivery totals per kind of service, accepted evaluations."""
    tranches = list(Tranche.objects.filter(contract=contract).select_related("milestone").order_by("position"))
    payments = {p.tranche_id: p for p in Payment.objects.filter(tranche__contract=contract)}
    spent_by_line: dict[int, list[Decimal]] = defaultdict(list)
    for line_id, amount in Expenditure.objects.filter(contract=contract).values_list("line_id", "amount"):
        spent_by_line[line_id].append(amount)
    lines = [BudgetUse(line, total(spent_by_line[line.pk])) for line in contract.lines.order_by("pk")]
    return ContractParts(
        communities=list(contract.communities.order_by("name")),
        milestones=list(contract.milestones.order_by("due_on", "pk")),
        tranches=[TrancheLine(t, t.milestone, payments.get(t.pk)) for t in tranches],
        paid=total(p.amount for p in payments.values()),
        lines=lines,
        spent=total(u.spent for u in lines),
        delivery=delivery_totals(contract),
        evaluations=list(evaluations().filter(contract=contract).order_by("kind")),
    )


def delivery_totals(contract: Contract) -> list[DeliveryTotal]:
    rows = (
        ServiceRecord.objects.filter(contract=contract)
        .values("kind")
        .annotate(
            sessions=Count("pk"),
            beneficiaries=Sum("beneficiaries"),
            residents=Sum("resident_participants"),
        )
    )
    hours: dict[str, list[Decimal]] = defaultdict(list)
    volunteer: dict[str, list[Decimal]] = defaultdict(list)
    for kind, service_hours, volunteer_hours in ServiceRecord.objects.filter(contract=contract).values_list(
        "kind", "service_hours", "volunteer_hours"
    ):
        hours[kind].append(service_hours)
        volunteer[kind].append(volunteer_hours)
    labels = dict(ServiceKind.choices)
    by_kind = {row["kind"]: row for row in rows}
    return [
        DeliveryTotal(
            kind=kind,
            label=labels[kind],
            sessions=by_kind[kind]["sessions"],
            beneficiaries=by_kind[kind]["beneficiaries"] or 0,
            service_hours=sum(hours[kind], Decimal(0)),
            volunteer_hours=sum(volunteer[kind], Decimal(0)),
            resident_participants=by_kind[kind]["residents"] or 0,
        )
        for kind in ServiceKind.values
        if kind in by_kind
    ]


# --- evaluations ---------------------------------------------------------------------------------


def evaluations() -> QuerySet[Evaluation]:
    """Accepted evaluations of public contracts: the grade is public once the purchaser accepts it."""
    return (
        Evaluation.objects.filter(
            state=Evaluation.State.ACCEPTED, contract__in=Contract.objects.filter(state__in=SIGNED)
        )
        .select_related("evaluator", "contract", "contract__agency", "contract__award__application__call__program")
        .order_by("-submitted_on", "-pk")
    )


@dataclass(frozen=True)
class Dimension:
    """A top-level dimension of an evaluation with the points it earned (the sum of its leaves)."""

    item: EvaluationItem
    earned: Decimal | None


def dimensions_of(evaluation: Evaluation) -> list[Dimension]:
    """The points per top-level dimension: comments, evidence and the indicators' data stay internal."""
    items = list(evaluation.items.order_by("position"))
    children: dict[str, list[EvaluationItem]] = defaultdict(list)
    for item in items:
        children[item.parent_code].append(item)

    def earned(item: EvaluationItem) -> Decimal | None:
        if item.is_leaf:
            return item.points
        parts = [earned(child) for child in children[item.code]]
        known = [p for p in parts if p is not None]
        return sum(known, Decimal(0)) if known else None

    return [Dimension(item, earned(item)) for item in children[""]]


def performance_of(agency: Organization) -> QuerySet[PerformanceRecord]:
    """An agency's performance records (from accepted final evaluations), latest first."""
    return (
        PerformanceRecord.objects.filter(agency=agency, contract__state__in=SIGNED)
        .select_related("contract")
        .order_by("-fiscal_year", "pk")
    )


# --- organizations -------------------------------------------------------------------------------


def organizations() -> QuerySet[Organization]:
    """Organizations are legal entities with a public registration: all of them, people never."""
    return Organization.objects.select_related("parent").order_by("kind", "name", "pk")


@dataclass(frozen=True)
class OrganizationParts:
    contracts: list[Contract]  # as agency, purchaser or partner community
    awards: list[Award]  # won as lead agency or partner, on public lists
    performance: list[PerformanceRecord]
    evaluations: list[Evaluation]  # performed, as an evaluator
    children: list[Organization]


def organization_parts(org: Organization) -> OrganizationParts:
    # By key: a join on the communities would count each payment once per partner in `paid`.
    parties = Contract.objects.filter(Q(agency=org) | Q(purchaser=org) | Q(communities=org)).values("pk")
    involved = contracts().filter(pk__in=parties)
    won = (
        awards()
        .filter(Q(application__lead_agency=org) | Q(application__communities=org))
        .select_related("application", "application__call", "award_list")
        .distinct()
        .order_by("-award_list__publicity_from", "application__reference")
    )
    return OrganizationParts(
        contracts=list(involved),
        awards=list(won),
        performance=list(performance_of(org)) if org.kind == OrgKind.AGENCY else [],
        evaluations=list(evaluations().filter(evaluator=org)) if org.kind == OrgKind.EVALUATOR else [],
        children=list(org.children.order_by("name")),
    )


# --- figures and charts --------------------------------------------------------------------------


def fiscal_years() -> list[int]:
    """The fiscal years of the public programs, latest first."""
    return sorted(set(programs().values_list("fiscal_year", flat=True)), reverse=True)


def _signed(year: int | None) -> QuerySet[Contract]:
    rows = Contract.objects.filter(state__in=SIGNED)
    if year is not None:
        rows = rows.filter(award__application__call__program__fiscal_year=year)
    return rows


@dataclass(frozen=True)
class Share:
    """One bar of a chart: what it stands for, its amount, and its width as a share of the largest."""

    key: Any
    amount: Decimal
    count: int
    width: int


def _bars(amounts: dict[Any, Decimal], counts: dict[Any, int]) -> list[Share]:
    largest = max(amounts.values(), default=ZERO)
    ordered = sorted(amounts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [
        Share(key, amount, counts.get(key, 0), round(amount / largest * 100) if largest else 0)
        for key, amount in ordered
    ]


@dataclass(frozen=True)
class Funds:
    """The portal's charts: contracted funds per service category, per partner community (a contract's amount
    shared equally among its communities) and per agency, largest first."""

    by_category: list[Share]
    by_community: list[Share]
    by_agency: list[Share]


def funds(year: int | None = None) -> Funds:
    """The three charts of signed contracts of one fiscal year (or all), from one read of the contracts."""
    amounts: dict[str, dict[Any, Decimal]] = {k: defaultdict(lambda: ZERO) for k in ("category", "community", "agency")}
    counts: dict[str, dict[Any, int]] = {k: defaultdict(int) for k in ("category", "community", "agency")}
    rows = _signed(year).select_related("category", "agency").prefetch_related("communities")
    for contract in rows:
        for key, obj in (("category", contract.category), ("agency", contract.agency)):
            amounts[key][obj] += contract.amount
            counts[key][obj] += 1
        partners = list(contract.communities.all())
        for community in partners:
            amounts["community"][community] += contract.amount / len(partners)
            counts["community"][community] += 1
    shared = {k: round_money(v) for k, v in amounts["community"].items()}
    return Funds(
        by_category=_bars(dict(amounts["category"]), dict(counts["category"])),
        by_community=_bars(shared, dict(counts["community"])),
        by_agency=_bars(dict(amounts["agency"]), dict(counts["agency"])),
    )


def funds_by_category(year: int | None = None) -> list[Share]:
    return funds(year).by_category


def funds_by_community(year: int | None = None) -> list[Share]:
    return funds(year).by_community


@dataclass(frozen=True)
class Figures:
    programs: int
    budget: Decimal
    open_calls: int
    awarded: Decimal
    contracts: int
    contracted: Decimal
    paid: Decimal
    grades: list[tuple[str, Any, int]]  # (grade, its label, how many final evaluations got it)


def figures(year: int | None = None) -> Figures:
    """The headline figures of the portal's first page, for one fiscal year or all of them."""
    program_rows = programs() if year is None else programs().filter(fiscal_year=year)
    call_rows = calls() if year is None else calls().filter(program__fiscal_year=year)
    award_rows = awards() if year is None else awards().filter(award_list__call__program__fiscal_year=year)
    signed = _signed(year)
    evaluation_rows = evaluations().filter(kind=Evaluation.Kind.FINAL)
    if year is not None:
        evaluation_rows = evaluation_rows.filter(contract__award__application__call__program__fiscal_year=year)
    grades: dict[str, int] = defaultdict(int)
    for grade in evaluation_rows.values_list("grade", flat=True):
        grades[grade] += 1
    return Figures(
        programs=program_rows.count(),
        budget=total(program_rows.values_list("budget", flat=True)),
        open_calls=call_rows.filter(state=Call.State.OPEN).count(),
        awarded=total(award_rows.values_list("amount", flat=True)),
        contracts=signed.count(),
        contracted=total(signed.values_list("amount", flat=True)),
        paid=total(Payment.objects.filter(tranche__contract__in=signed).values_list("amount", flat=True)),
        grades=[(g.value, g.label, grades[g.value]) for g in Grade if grades.get(g.value)],
    )
