"""Reads of contracts, and the one rule of who may see which contract.

A contract is seen by
- the staff (managers, social workers, board members) of its agency;
- the community workers of its partner communities;
- officers of its purchaser, of the program's department, and of the streets or departments whose
  communities it serves (their jurisdiction);
- the staff of a third-party evaluator assigned to evaluate it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from grassroots.core.money import ZERO, total
from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import agencies_staffed_by, jurisdiction_communities, memberships_of, orgs_where

from .models import ChangeRequest, Contract, ContractLine, Milestone, Payment, Tranche


def signed() -> QuerySet[Contract]:
    """Contracts that were signed: active, completed, or terminated after signing. A draft is not yet a
    contract, and a draft terminated before the agency signed it never was one (it has no signing date;
    an active contract imported without one still counts, being active)."""
    return Contract.objects.filter(
        Q(state__in=(Contract.State.ACTIVE, Contract.State.COMPLETED))
        | Q(state=Contract.State.TERMINATED, signed_on__isnull=False)
    )


def was_signed(contract: Contract) -> bool:
    """Whether one contract is among `signed()` (the same rule, for a row already read)."""
    if contract.state in (Contract.State.ACTIVE, Contract.State.COMPLETED):
        return True
    return contract.state == Contract.State.TERMINATED and contract.signed_on is not None


def visible_to(user: Any) -> QuerySet[Contract]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Contract.objects.none()
    if is_staff(user):
        return Contract.objects.all()
    agencies = agencies_staffed_by(user)
    communities = orgs_where(user, Role.COMMUNITY_WORKER, kind=OrgKind.COMMUNITY)
    offices = orgs_where(user, Role.OFFICER)
    evaluators = orgs_where(user, Role.EVALUATOR, Role.MANAGER, kind=OrgKind.EVALUATOR)
    served = Contract.objects.filter(
        Q(communities__in=communities) | Q(communities__in=jurisdiction_communities(user))
    ).values("pk")
    evaluated = Contract.objects.filter(evaluations__evaluator__in=evaluators).values("pk")
    return Contract.objects.filter(
        Q(agency__in=agencies)
        | Q(purchaser__in=offices)
        | Q(award__application__call__program__department__in=offices)
        | Q(pk__in=served)
        | Q(pk__in=evaluated)
    )


def with_paid(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """Annotate `paid`: the sum of the payments made on each contract."""
    return contracts.annotate(
        paid=Coalesce(
            Sum("tranches__payment__amount"),
            Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )


def _listed(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    return (
        with_paid(contracts)
        .select_related("agency", "purchaser", "category", "award__application")
        .prefetch_related("tranches")
        .order_by("-starts_on", "number")
    )


def listed(user: Any) -> QuerySet[Contract]:
    """Every contract `user` may see, newest first."""
    return _listed(visible_to(user))


def of_agency(user: Any, agency: Organization) -> QuerySet[Contract]:
    """An agency's contracts, with their tranches."""
    return _listed(visible_to(user).filter(agency=agency))


def partnered_by(user: Any, community: Organization) -> QuerySet[Contract]:
    return _listed(visible_to(user).filter(communities=community))


def purchased_by(user: Any, purchaser: Organization) -> QuerySet[Contract]:
    return _listed(visible_to(user).filter(purchaser=purchaser))


def in_department(user: Any, department: Organization) -> QuerySet[Contract]:
    """Contracts funded by a department's programs, whoever purchased them."""
    return _listed(visible_to(user).filter(award__application__call__program__department=department))


@dataclass(frozen=True)
class TrancheRow:
    tranche: Tranche
    milestone: Milestone
    payment: Payment | None


def contract_detail(contract: Contract) -> dict[str, Any]:
    """What a contract page shows beside the contract itself: milestones, tranches, payments and changes."""
    tranches = list(Tranche.objects.filter(contract=contract).select_related("milestone").order_by("position"))
    payments = {p.tranche_id: p for p in Payment.objects.filter(tranche__contract=contract)}
    return {
        "communities": list(contract.communities.all()),
        "milestones": list(contract.milestones.order_by("due_on")),
        "tranches": [TrancheRow(t, t.milestone, payments.get(t.pk)) for t in tranches],
        "paid": sum((p.amount for p in payments.values()), ZERO),
        "changes": list(
            ChangeRequest.objects.filter(contract=contract)
            .select_related("source", "target")
            .order_by("-requested_at", "-pk")
        ),
    }


def payment_with_key(key: str) -> Payment | None:
    """The payment an idempotency key already made, if any (a form sent twice finds its first payment)."""
    return Payment.objects.filter(idempotency_key=key).select_related("tranche").first() if key else None


@dataclass(frozen=True)
class LineLeft:
    line: ContractLine
    spent: Decimal
    left: Decimal


def lines_left(contract: Contract) -> list[LineLeft]:
    """The contract's budget lines with what was spent on each and what is left, in two queries."""
    from grassroots.delivery.models import Expenditure

    spent: dict[int, list[Decimal]] = defaultdict(list)
    for line_id, amount in Expenditure.objects.filter(contract=contract).values_list("line_id", "amount"):
        spent[line_id].append(amount)
    out = []
    for line in ContractLine.objects.filter(contract=contract).order_by("pk"):
        used = total(spent.get(line.pk, []))
        out.append(LineLeft(line, used, line.amount - used))
    return out


def payments_visible_to(user: Any) -> QuerySet[Payment]:
    """Payments are seen by whoever sees their contract (the contract page lists them): the department and
    street that pay, the agency paid, and the others concerned with the contract."""
    return Payment.objects.filter(tranche__contract__in=visible_to(user).values("pk"))


@dataclass(frozen=True)
class Standing:
    """What `user` is to a contract, read in one query: the agency's manager or staff (manager or social
    worker), an officer of the purchaser, an officer of the purchaser or of the program's department."""

    manager: bool
    staff: bool
    purchaser: bool
    payer: bool


def standing_of(user: Any, contract: Contract) -> Standing:
    if is_staff(user):
        return Standing(True, True, True, True)
    department_id = contract.award.application.call.program.department_id
    held = set(
        memberships_of(user)
        .filter(organization_id__in=[contract.agency_id, contract.purchaser_id, department_id])
        .values_list("organization_id", "role")
    )
    purchaser = (contract.purchaser_id, Role.OFFICER) in held
    return Standing(
        manager=(contract.agency_id, Role.MANAGER) in held,
        staff=bool(held & {(contract.agency_id, Role.MANAGER), (contract.agency_id, Role.SOCIAL_WORKER)}),
        purchaser=purchaser,
        payer=purchaser or (department_id, Role.OFFICER) in held,
    )


# --- what waits for someone: the home page's tasks ------------------------------------------------------------


def submitted_milestones(contract_ids: Iterable[int]) -> list[Milestone]:
    """Milestone reports handed in on the given contracts, for the purchaser to accept or reject."""
    found = Milestone.objects.filter(contract_id__in=list(contract_ids), state=Milestone.State.SUBMITTED)
    return list(found.select_related("contract__award__application").order_by("due_on", "pk"))


def changes_to_decide(contract_ids: Iterable[int]) -> list[ChangeRequest]:
    """Requested changes on the given contracts that wait for the purchaser's approval."""
    found = ChangeRequest.objects.filter(
        contract_id__in=list(contract_ids), state=ChangeRequest.State.REQUESTED, needs_approval=True
    )
    return list(found.select_related("contract__award__application").order_by("requested_at", "pk"))


def payable_tranches(contract_ids: Iterable[int]) -> list[Tranche]:
    """Released, unpaid tranches of the given contracts, for the purchaser or its department to pay."""
    found = Tranche.objects.filter(contract_id__in=list(contract_ids), state=Tranche.State.PAYABLE)
    return list(found.select_related("contract__award__application").order_by("contract__number", "position"))


@dataclass(frozen=True)
class AgencyDue:
    """Work on an agency's contracts waiting for its manager."""

    to_sign: list[Contract]  # drafts the purchaser prepared
    milestones: list[Milestone]  # reports to write: overdue, rejected, or due within the horizon


def waiting_on_agency(contracts: Iterable[Contract], today: date, horizon_days: int = 30) -> AgencyDue:
    """Drafts to countersign and milestone reports to write on running contracts."""
    listed = list(contracts)
    running = [c.pk for c in listed if c.state == Contract.State.ACTIVE]
    milestones = (
        Milestone.objects.filter(contract_id__in=running)
        .filter(
            Q(state=Milestone.State.REJECTED)
            | Q(state=Milestone.State.PENDING, due_on__lte=today + timedelta(days=horizon_days))
        )
        .select_related("contract__award__application")
        .order_by("due_on", "pk")
    )
    return AgencyDue(
        to_sign=[c for c in listed if c.state == Contract.State.DRAFT],
        milestones=list(milestones),
    )
