"""What is public: the one definition the portal's pages and the API's read endpoints both read.

Public (information a purchaser of public services owes the public):
- programs once opened, calls once opened (a draft is the office's own business);
- an award list once its publicity period has begun (公示), and after the decision; the applications
  on it (title, lead agency, partner communities, category, score, rank, amount), revoked awards aside;
  in the open data, the call's handed-in applications as bids (lead, partners, amount, status) from the
  same moment on — never before, since no competitor may see another's application before the awards —
  and a list withdrawn after its publicity began stays in the open data's history, withdrawn;
- contracts once signed: parties, amount, term, budget lines, milestones, tranches and payments, and
  what was delivered and spent, as totals only;
- accepted evaluations: kind, evaluator, score, grade and the points of each top-level dimension;
- organizations (legal entities with a unified social credit code) and an agency's performance records.

Never public, whatever the state: people (residents, beneficiaries and their codes, social workers,
officers, reviewers — who reviewed what is never shown, before or after the panel), survey answers,
applications that are not on a publicised award list (drafts, competitors' bids, those not funded),
review scores of single reviewers, conflicts, objections' texts and authors, milestone reports, service
records and expenditures one by one, evaluation comments, evidence and findings.

The open-data export (OCDS) reads the same public calls, in chunks of plain `ocds.Process` values with a
fixed number of queries per chunk, so an export of many thousands of processes streams in bounded memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone, translation

from grassroots.applications.models import Application, BudgetHead, ServiceKind
from grassroots.awards.models import Award, AwardList
from grassroots.contracts.models import ChangeRequest, Contract, ContractLine, Milestone, Payment, Tranche
from grassroots.contracts.selectors import signed, with_paid
from grassroots.core.models import AuditEvent
from grassroots.core.money import ZERO, round_money, total
from grassroots.core.shares import equal_split
from grassroots.delivery.models import Expenditure, ServiceRecord
from grassroots.evaluation.models import Evaluation, EvaluationItem, Grade, PerformanceRecord
from grassroots.funding.models import Call, Criterion, Program, ServiceCategory
from grassroots.orgs.models import Organization, OrgKind

from . import ocds
from .models import OcdsLink

#: The states a public contract can be in (which contracts were signed is `contracts.selectors.signed`).
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


def _opened_calls() -> QuerySet[Call]:
    """The rule of which calls are public: opened ones (申报指南 are published documents), and cancelled ones
    that had been open — which the applications handed in to them show (a call cancelled as a draft never was
    public)."""
    handed_in = Application.objects.filter(call=OuterRef("pk")).exclude(state=Application.State.DRAFT)
    return Call.objects.filter(program__in=programs()).filter(
        ~Q(state__in=[Call.State.DRAFT, Call.State.CANCELLED]) | (Q(state=Call.State.CANCELLED) & Exists(handed_in))
    )


def calls() -> QuerySet[Call]:
    """The public calls, cancelled ones marked as such. Each carries `handed_in`: how many applications it
    received (a number only: their contents stay the applicants')."""
    return (
        _opened_calls()
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


def publicised(day: date, *, withdrawn: bool = False) -> Q:
    """The rule of which award lists are public on `day`: once their publicity period has begun (公示), and
    after the decision. With `withdrawn`, also the withdrawn lists whose publicity had begun (the open data
    keeps their history; the caller checks they were withdrawn after it began)."""
    states = [AwardList.State.PUBLICITY, AwardList.State.WITHDRAWN] if withdrawn else [AwardList.State.PUBLICITY]
    return Q(state=AwardList.State.DECIDED) | Q(state__in=states, publicity_from__lte=day)


def award_lists(today: date | None = None) -> QuerySet[AwardList]:
    """Award lists whose publicity has begun (a list proposed but not yet publicised is not public)."""
    day = today or timezone.localdate()
    return (
        AwardList.objects.filter(publicised(day), call__in=calls())
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
        signed().select_related("agency", "purchaser", "category", "award__application__call__program")
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
        Evaluation.objects.filter(state=Evaluation.State.ACCEPTED, contract__in=signed())
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
        PerformanceRecord.objects.filter(agency=agency, contract__in=signed())
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
    rows = signed()
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
        for community, share in equal_split(contract.amount, contract.communities.all()).items():
            amounts["community"][community] += share
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


# --- open data: the calls as OCDS contracting processes -----------------------------------------


def ocid_prefix() -> str:
    return str(settings.OPEN_DATA["OCID_PREFIX"])


def publisher() -> ocds.Publisher:
    return ocds.Publisher(
        name=str(settings.OPEN_DATA["PUBLISHER"]),
        uri=str(settings.OPEN_DATA["PUBLIC_URL"]),
        zone=ZoneInfo(settings.TIME_ZONE),
    )


def public_calls(*, year: int | None = None, calls: Sequence[str] = ()) -> QuerySet[Call]:
    """The public calls as contracting processes, in a stable order; `calls` narrows to these references or
    ocids."""
    rows = _opened_calls()
    if year is not None:
        rows = rows.filter(program__fiscal_year=year)
    if calls:
        rows = rows.filter(pk__in=[c.pk for c in (call_for(ref) for ref in calls) if c is not None])
    return rows.order_by("pk")


def call_for(key: str) -> Call | None:
    """The call an ocid (ours: "<prefix>-<reference>"; an imported one: as it came) or a reference names."""
    link = OcdsLink.objects.filter(kind=OcdsLink.Kind.CALL, ocds_id=key).first()
    if link is not None:
        return Call.objects.filter(pk=link.object_id).first()
    prefix = ocid_prefix() + "-"
    reference = key.removeprefix(prefix)
    return Call.objects.filter(reference=reference).first()


def public_call(ocid: str) -> Call | None:
    call = call_for(ocid)
    if call is None or not public_calls().filter(pk=call.pk).exists():
        return None
    return call if ocid_of(call) == ocid else None


def ocid_of(call: Call) -> str:
    imported = OcdsLink.objects.filter(kind=OcdsLink.Kind.CALL, object_id=call.pk).values_list("ocds_id", flat=True)
    return imported.first() or f"{ocid_prefix()}-{call.reference}"


def _ids(
    calls: Iterable[int], applications: Iterable[int], awards: Iterable[int], payments: Iterable[int]
) -> dict[tuple[str, int], str]:
    """The OCDS ids imported objects came with: (kind, pk) → id (an imported call's is its ocid)."""
    wanted = Q()
    for kind, pks in (("call", calls), ("bid", applications), ("award", awards), ("payment", payments)):
        pks = list(pks)
        if pks:
            wanted |= Q(kind=kind, object_id__in=pks)
    if not wanted:
        return {}
    return {
        (kind, pk): ident
        for kind, pk, ident in OcdsLink.objects.filter(wanted).values_list("kind", "object_id", "ocds_id")
    }


def _org(org: Organization) -> ocds.Org:
    return ocds.Org(uscc=org.uscc, name=org.name, address=org.address)


def processes(calls: QuerySet[Call], chunk: int = 500, today: date | None = None) -> Iterator[ocds.Process]:
    """Each call of `calls` as a `Process` as public on `today`, reading `chunk` calls at a time."""
    ids = list(calls.values_list("pk", flat=True))
    day = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        for start in range(0, len(ids), chunk):
            yield from _chunk(ids[start : start + chunk], day)


def _moments(model: type[Any], pks: Iterable[int], actions: Sequence[str]) -> dict[int, datetime]:
    """When each object took one of `actions` (a terminal state change), from the audit log: the day the event
    carries where it was recorded after the fact (`on`, e.g. imported history; read as that day's end), else
    when it was recorded. Releases are dated by these, never by the time of an export."""
    keys = [str(pk) for pk in pks]
    if not keys:
        return {}
    zone = ZoneInfo(settings.TIME_ZONE)
    found: dict[int, datetime] = {}
    for object_id, at, after in (
        AuditEvent.objects.filter(
            object_type=f"{model._meta.app_label}.{model._meta.model_name}", object_id__in=keys, action__in=actions
        )
        .order_by("seq")
        .values_list("object_id", "at", "after")
    ):
        on = after.get("on") if isinstance(after, dict) else None
        found[int(object_id)] = (
            datetime.combine(date.fromisoformat(on), time(23, 59, 59), zone) if isinstance(on, str) else at
        )
    return found


@dataclass(frozen=True)
class SignedTerms:
    """A contract's end date and milestone due dates as signed, and the amendments since (as public on a day)."""

    ends_on: date
    due_on: dict[str, date]
    amendments: tuple[ocds.Amendment, ...]


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _signed_terms(
    contracts: Sequence[Contract], milestones: dict[int, list[Milestone]], day: date
) -> dict[int, SignedTerms]:
    """The terms each contract was signed on, recovered from its approved changes (an extension rewrites the end
    date and the final milestone's due date in place; the audit log keeps the values before it), and those
    changes as amendments, the ones approved by `day`. Contracts never changed are left out (their terms now
    are the signed ones)."""
    changes: dict[int, list[ChangeRequest]] = defaultdict(list)
    for change in ChangeRequest.objects.filter(
        contract__in=contracts, kind=ChangeRequest.Kind.EXTENSION, state=ChangeRequest.State.APPLIED
    ).order_by("decided_at", "pk"):
        changes[change.contract_id].append(change)
    if not changes:
        return {}
    events: dict[int, list[tuple[dict[str, Any], dict[str, Any], datetime]]] = defaultdict(list)
    for object_id, before, after, at in (
        AuditEvent.objects.filter(
            object_type="contracts.contract", object_id__in=[str(pk) for pk in changes], action="contract.extended"
        )
        .order_by("seq")
        .values_list("object_id", "before", "after", "at")
    ):
        events[int(object_id)].append((before or {}, after or {}, at))
    zone = ZoneInfo(settings.TIME_ZONE)
    out = {}
    for contract_id, applied in changes.items():
        # Each applied extension wrote one event; newer ones name their change, older ones go in order.
        tagged = {e[1]["change"]: e for e in events[contract_id] if "change" in e[1]}
        untagged = [e for e in events[contract_id] if "change" not in e[1]]
        due_now = {m.kind: m.due_on for m in milestones[contract_id]}
        amendments = []
        for change in applied:
            event = tagged.get(change.pk) or (untagged.pop(0) if untagged else None)
            before, after, at = event if event else ({}, {}, change.requested_at)
            previous_ends_on = _day(before.get("ends_on")) or change.previous_ends_on
            ends_on = _day(after.get("ends_on")) or change.new_ends_on
            assert previous_ends_on is not None and ends_on is not None
            moved = []
            final_before, final_after = _day(before.get("final_due_on")), _day(after.get("final_due_on"))
            if final_before and final_after and final_before != final_after:
                moved.append((Milestone.Kind.FINAL.value, final_before, final_after))
            amendments.append(
                ocds.Amendment(
                    id=f"extension-{change.pk}",
                    approved_at=change.decided_at or at,  # decided, and so applied, at once
                    rationale=change.reason,
                    previous_ends_on=previous_ends_on,
                    ends_on=ends_on,
                    due_on=tuple(moved),
                )
            )
        due_signed = dict(due_now)
        for amendment in reversed(amendments):  # undo each change, the latest first
            for kind, before_due, _after_due in amendment.due_on:
                due_signed[kind] = before_due
        out[contract_id] = SignedTerms(
            ends_on=amendments[0].previous_ends_on,
            due_on=due_signed,
            amendments=tuple(a for a in amendments if a.approved_at.astimezone(zone).date() <= day),
        )
    return out


def _chunk(ids: list[int], day: date) -> list[ocds.Process]:
    calls = list(Call.objects.filter(pk__in=ids).select_related("program__department", "envelope", "issuer"))
    criteria: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for call_id, name, weight in Criterion.objects.filter(call_id__in=ids).values_list("call_id", "name", "weight"):
        criteria[call_id].append((name, weight))
    categories: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for call_id, code, name in Call.categories.through.objects.filter(call_id__in=ids).values_list(
        "call_id", "servicecategory__code", "servicecategory__name"
    ):
        categories[call_id].append((code, name))
    zone = ZoneInfo(settings.TIME_ZONE)
    # Award lists as the public rule has them (and withdrawn ones that had been public, with their withdrawal).
    withdrawn_at = _moments(
        AwardList,
        AwardList.objects.filter(call_id__in=ids, state=AwardList.State.WITHDRAWN).values_list("pk", flat=True),
        ["awardlist.withdrawn"],
    )
    award_lists = [
        award_list
        for award_list in AwardList.objects.filter(publicised(day, withdrawn=True), call_id__in=ids).order_by("pk")
        if award_list.state != AwardList.State.WITHDRAWN
        or award_list.pk not in withdrawn_at
        or (
            award_list.publicity_from
            and award_list.publicity_from <= withdrawn_at[award_list.pk].astimezone(zone).date()
        )
    ]
    # The bids are public from the first publicised list of their call on, never before.
    bids_from: dict[int, date] = {}
    for award_list in award_lists:
        if award_list.publicity_from:
            first = bids_from.get(award_list.call_id)
            bids_from[award_list.call_id] = (
                min(first, award_list.publicity_from) if first else award_list.publicity_from
            )
    applications = list(
        Application.objects.filter(call_id__in=list(bids_from))
        .exclude(state=Application.State.DRAFT)
        .select_related("lead_agency")
        .order_by("pk")
    )
    partners: dict[int, list[ocds.Org]] = defaultdict(list)
    for link in (
        Application.communities.through.objects.filter(application__in=applications)
        .select_related("organization")
        .order_by("organization__uscc")
    ):
        partners[link.application_id].append(_org(link.organization))
    awards = list(
        Award.objects.filter(award_list__in=award_lists)
        .select_related("application__lead_agency", "application__category")
        .order_by("pk")
    )
    contracts = list(
        signed()
        .filter(award__in=awards)
        .filter(Q(signed_on__isnull=True) | Q(signed_on__lte=day))
        .select_related("agency", "category", "award__award_list")
        .order_by("pk")
    )
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in Milestone.objects.filter(contract__in=contracts).order_by("due_on", "pk"):
        milestones[milestone.contract_id].append(milestone)
    payments: dict[int, list[tuple[int, int, Any, Any]]] = defaultdict(list)
    for pk, contract_id, position, paid_on, amount in (
        Payment.objects.filter(tranche__contract__in=contracts, paid_on__lte=day)
        .order_by("tranche__position")
        .values_list("pk", "tranche__contract_id", "tranche__position", "paid_on", "amount")
    ):
        payments[contract_id].append((pk, position, paid_on, amount))
    terms = _signed_terms(contracts, milestones, day)
    ended = _moments(
        Contract,
        [c.pk for c in contracts if c.state != Contract.State.ACTIVE],
        ["contract.completed", "contract.terminated"],
    )
    cancelled = _moments(Call, [c.pk for c in calls if c.state == Call.State.CANCELLED], ["call.cancelled"])
    ids_of = _ids(
        ids,
        [a.pk for a in applications],
        [a.pk for a in awards],
        [pk for rows in payments.values() for pk, *_rest in rows],
    )
    programs = _program_keys({c.program_id for c in calls})
    prefix = ocid_prefix()

    bid_id = {a.pk: ids_of.get(("bid", a.pk), a.reference) for a in applications}
    for award in awards:  # an award's application is public with the award even if it were filtered out above
        bid_id.setdefault(award.application_id, ids_of.get(("bid", award.application_id), award.application.reference))
    award_id = {a.pk: ids_of.get(("award", a.pk), f"award-{a.pk}") for a in awards}
    by_call_apps: dict[int, list[Application]] = defaultdict(list)
    for application in applications:
        by_call_apps[application.call_id].append(application)
    by_list: dict[int, list[Award]] = defaultdict(list)
    for award in awards:
        by_list[award.award_list_id].append(award)
    by_call_lists: dict[int, list[AwardList]] = defaultdict(list)
    for award_list in award_lists:
        by_call_lists[award_list.call_id].append(award_list)
    by_call_contracts: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_call_contracts[contract.award.award_list.call_id].append(contract)

    out = []
    for call in calls:
        program = call.program
        out.append(
            ocds.Process(
                ocid=ids_of.get(("call", call.pk), f"{prefix}-{call.reference}"),
                reference=call.reference,
                title=call.title,
                description=call.description,
                state=call.state,
                year=program.fiscal_year,
                opens_on=call.opens_on,
                closes_on=call.closes_on,
                funds=call.funds,
                matching_funds=call.matching_funds,
                method=program.method,
                eligibility=program.eligibility,
                criteria=tuple(criteria[call.pk]),
                categories=tuple(categories[call.pk]),
                program_key=programs.get(program.pk, f"program-{program.pk}"),
                program_title=program.title,
                program_budget=program.budget,
                envelope_key=f"envelope-{call.envelope_id}" if call.envelope_id else None,
                envelope_amount=call.envelope.amount if call.envelope else None,
                buyer=_org(program.department),
                procuring=_org(call.issuer),
                cancelled_at=cancelled.get(call.pk),
                bids_from=bids_from.get(call.pk),
                bids=tuple(
                    ocds.Bid(
                        id=bid_id[a.pk],
                        status=a.state,
                        lead=_org(a.lead_agency),
                        partners=tuple(partners[a.pk]),
                        requested=a.requested,
                        submitted_at=a.submitted_at,
                    )
                    for a in by_call_apps[call.pk]
                ),
                award_lists=tuple(
                    ocds.AwardList(
                        key=str(award_list.pk),
                        state=award_list.state,
                        publicity_from=award_list.publicity_from,
                        publicity_until=award_list.publicity_until,
                        decided_on=award_list.decided_on,
                        withdrawn_at=withdrawn_at.get(award_list.pk),
                        awards=tuple(
                            ocds.Award(
                                id=award_id[a.pk],
                                bid_id=bid_id[a.application_id],
                                title=a.application.title,
                                amount=a.amount,
                                state=a.state,
                                supplier=_org(a.application.lead_agency),
                                category=(a.application.category.code, a.application.category.name),
                                score=a.application.score,
                                rank=a.application.rank,
                            )
                            for a in by_list[award_list.pk]
                        ),
                    )
                    for award_list in by_call_lists[call.pk]
                ),
                contracts=tuple(
                    ocds.Contract(
                        id=c.number,
                        award_id=award_id[c.award_id],
                        title=c.title,
                        state=c.state,
                        amount=c.amount,
                        starts_on=c.starts_on,
                        ends_on=terms[c.pk].ends_on if c.pk in terms else c.ends_on,
                        signed_on=c.signed_on,
                        supplier=_org(c.agency),
                        category=(c.category.code, c.category.name),
                        milestones=tuple(
                            ocds.Milestone(
                                m.kind,
                                str(m.get_kind_display()),
                                terms[c.pk].due_on[m.kind] if c.pk in terms else m.due_on,
                                m.accepted_on if m.accepted_on and m.accepted_on <= day else None,
                            )
                            for m in milestones[c.pk]
                        ),
                        payments=tuple(
                            ocds.Payment(ids_of.get(("payment", pk), f"tranche-{position}"), paid_on, amount)
                            for pk, position, paid_on, amount in payments[c.pk]
                        ),
                        ended_at=ended.get(c.pk),
                        amendments=terms[c.pk].amendments if c.pk in terms else (),
                    )
                    for c in by_call_contracts[call.pk]
                ),
            )
        )
    return out


def _program_keys(program_ids: set[int]) -> dict[int, str]:
    """Imported programs keep the key (the budget's projectID) they came with."""
    content_type = ContentType.objects.get_by_natural_key("funding", "program")
    return dict(
        OcdsLink.objects.filter(
            kind=OcdsLink.Kind.PROGRAM, content_type=content_type, object_id__in=program_ids
        ).values_list("object_id", "ocds_id")
    )
