"""Reads of delivery: service records and spending against a contract's budget lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from grassroots.applications.models import Indicator, TeamMember
from grassroots.contracts.models import Contract, ContractLine, Milestone
from grassroots.core.money import sum_of
from grassroots.orgs.models import OrgKind, Person, Role
from grassroots.orgs.selectors import orgs_where

from . import progress
from .models import Attachment, Expenditure, ServiceRecord


def recent_records_of(person: Person, limit: int = 10) -> list[ServiceRecord]:
    """The latest service records a social worker delivered or recorded."""
    ids = ServiceRecord.objects.filter(Q(social_workers=person) | Q(recorded_by=person)).values("pk")
    records = ServiceRecord.objects.filter(pk__in=ids).select_related("contract").order_by("-held_on", "-pk")
    return list(records[:limit])


def records_of(contract: Contract, limit: int = 10) -> list[ServiceRecord]:
    return list(ServiceRecord.objects.filter(contract=contract).order_by("-held_on", "-pk")[:limit])


@dataclass
class LineExecution:
    line: ContractLine
    spent: Decimal
    rate: Decimal | None


@dataclass
class ContractProgress:
    """Indicators against targets, budget execution per line, and today's alerts of one contract."""

    indicators: list[progress.Progress]
    lines: list[LineExecution]
    elapsed: Decimal
    alerts: list[progress.Alert] = field(default_factory=list)


def _totals(contract_ids: Iterable[int], until: date | None = None) -> dict[int, list[progress.Totals]]:
    records = ServiceRecord.objects.filter(contract_id__in=list(contract_ids))
    if until is not None:
        records = records.filter(held_on__lte=until)
    rows = records.values("contract_id", "kind").annotate(
        sessions=Count("pk"),
        beneficiaries_sum=Sum("beneficiaries"),
        hours=Sum("service_hours"),
        volunteer=Sum("volunteer_hours"),
        residents=Sum("resident_participants"),
        last=Max("held_on"),
    )
    out: dict[int, list[progress.Totals]] = defaultdict(list)
    for row in rows:
        out[row["contract_id"]].append(
            progress.Totals(
                row["kind"],
                row["sessions"],
                row["beneficiaries_sum"] or 0,
                Decimal(str(row["hours"] or 0)),
                Decimal(str(row["volunteer"] or 0)),
                row["residents"] or 0,
            )
        )
    return out


def totals_of(contract: Contract, until: date | None = None) -> list[progress.Totals]:
    """What the contract's service records add up to per kind, counting those held by `until`."""
    return _totals([contract.pk], until).get(contract.pk, [])


def _last_records(contract_ids: Iterable[int]) -> dict[int, date]:
    rows = (
        ServiceRecord.objects.filter(contract_id__in=list(contract_ids))
        .values("contract_id")
        .annotate(last=Max("held_on"))
    )
    return {row["contract_id"]: row["last"] for row in rows}


def _targets(contracts: Iterable[Contract]) -> dict[int, list[progress.Target]]:
    by_application = {c.award.application_id: c.pk for c in contracts}
    out: dict[int, list[progress.Target]] = defaultdict(list)
    for indicator in Indicator.objects.filter(application_id__in=by_application).order_by("pk"):
        out[by_application[indicator.application_id]].append(
            progress.Target(indicator.name, indicator.measure, indicator.service_kind, indicator.target)
        )
    return out


def alerts_for(contracts: Iterable[Contract], today: date | None = None) -> dict[int, list[progress.Alert]]:
    """Today's alerts of each running contract, in a fixed number of queries (dashboards list many)."""
    day = today or timezone.localdate()
    running = [c for c in contracts if c.state == Contract.State.ACTIVE]
    if not running:
        return {}
    ids = [c.pk for c in running]
    totals = _totals(ids)
    last = _last_records(ids)
    targets = _targets(Contract.objects.filter(pk__in=ids).select_related("award"))
    budgets: dict[int, Decimal] = defaultdict(Decimal)
    for contract_id, amount in ContractLine.objects.filter(contract_id__in=ids).values_list("contract_id", "amount"):
        budgets[contract_id] += amount
    spent: dict[int, Decimal] = defaultdict(Decimal)
    for contract_id, amount in Expenditure.objects.filter(contract_id__in=ids).values_list("contract_id", "amount"):
        spent[contract_id] += amount
    milestones: dict[int, list[tuple[str, date, bool]]] = defaultdict(list)
    for contract_id, kind, due, state in Milestone.objects.filter(contract_id__in=ids).values_list(
        "contract_id", "kind", "due_on", "state"
    ):
        milestones[contract_id].append((kind, due, state == Milestone.State.ACCEPTED))
    result = {}
    for c in running:
        facts = progress.Facts(
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            budget=budgets[c.pk],
            spent=spent[c.pk],
            milestones=milestones[c.pk],
            progress=[progress.measure(t, totals.get(c.pk, [])) for t in targets.get(c.pk, [])],
            last_record=last.get(c.pk),
        )
        found = progress.alerts(facts, day)
        if found:
            result[c.pk] = found
    return result


def contract_progress(contract: Contract, today: date | None = None) -> ContractProgress:
    day = today or timezone.localdate()
    totals = _totals([contract.pk]).get(contract.pk, [])
    indicators = [progress.measure(t, totals) for t in _targets([contract]).get(contract.pk, [])]
    lines = []
    for line in ContractLine.objects.filter(contract=contract).order_by("pk"):
        spent = sum_of(Expenditure.objects.filter(line=line), "amount")
        lines.append(LineExecution(line, spent, progress.execution_rate(spent, line.amount)))
    return ContractProgress(
        indicators=indicators,
        lines=lines,
        elapsed=progress.elapsed(contract.starts_on, contract.ends_on, day),
        alerts=alerts_for([contract], day).get(contract.pk, []),
    )


def records_visible_to(user: Any) -> QuerySet[ServiceRecord]:
    """Service records are seen by whoever sees their contract, as its page shows them: the agency and its
    social workers, the purchaser and the department, the partner communities, the evaluator."""
    from grassroots.contracts.selectors import visible_to

    return ServiceRecord.objects.filter(contract__in=visible_to(user).values("pk"))


def expenditures_visible_to(user: Any) -> QuerySet[Expenditure]:
    """Expenditures are seen by whoever sees their contract, whose page shows the spending per budget line."""
    from grassroots.contracts.selectors import visible_to

    return Expenditure.objects.filter(contract__in=visible_to(user).values("pk"))


def attachments_visible_to(user: Any) -> QuerySet[Attachment]:
    """Evidence is seen by whoever sees the record or expenditure it belongs to (and so its contract)."""
    return Attachment.objects.filter(
        Q(record__in=records_visible_to(user).values("pk"))
        | Q(expenditure__in=expenditures_visible_to(user).values("pk"))
    )


def record_detail(record: ServiceRecord) -> dict[str, Any]:
    """What a service record's page shows beside the record: who delivered it and its evidence."""
    return {
        "workers": list(record.social_workers.order_by("name", "pk")),
        "attachments": list(record.attachments.order_by("uploaded_at", "pk")),
    }


def records_by(person: Person) -> QuerySet[ServiceRecord]:
    """Every service record a social worker delivered or recorded, newest first, with its contract."""
    ids = ServiceRecord.objects.filter(Q(social_workers=person) | Q(recorded_by=person)).values("pk")
    return (
        ServiceRecord.objects.filter(pk__in=ids)
        .select_related("contract")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-held_on", "-pk")
    )


def recording_contracts(user: Any) -> QuerySet[Contract]:
    """The running contracts of the agencies where `user` is a manager or social worker (they record on them)."""
    agencies = orgs_where(user, Role.MANAGER, Role.SOCIAL_WORKER, kind=OrgKind.AGENCY)
    return Contract.objects.filter(agency__in=agencies, state=Contract.State.ACTIVE).order_by("-starts_on", "number")


def team_of(contract: Contract) -> set[int]:
    """The social workers the contract's application named as its team."""
    team = TeamMember.objects.filter(application_id=contract.award.application_id)
    return set(team.values_list("person_id", flat=True))
