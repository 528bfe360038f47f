"""Contracts from awards, milestones, tranches and payments.

Money rules, each checked under row locks: tranches add up to the contract amount exactly; a tranche
is paid once (one `Payment` per tranche, an idempotency key per request); payments never exceed
the contract; the last tranche is scaled by the final grade as the program says.

Change requests (`ChangeRequest`): a reallocation between budget lines within the program's tolerance is
applied at once, beyond it on the purchaser's approval, never more than the source line has unspent; an
extension (36 months in all at most) and a termination with settlement wait for the purchaser.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.awards.models import Award
from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.money import ZERO, money, round_money, sum_of, total
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.funding.schedule import milestone_due_dates
from grassroots.funding.services import tranche_amounts
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import acts_for

from .models import ChangeRequest, Contract, ContractLine, Milestone, Payment, Tranche


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_purchaser(actor: Any, contract: Contract) -> None:
    require(
        acts_for(actor, contract.purchaser, Role.OFFICER),
        _("Only an officer of %(org)s may do this.") % {"org": contract.purchaser.local_name},
    )


def _require_agency(actor: Any, contract: Contract) -> None:
    require(
        acts_for(actor, contract.agency, Role.MANAGER),
        _("Only a manager of %(org)s may do this.") % {"org": contract.agency.local_name},
    )


@transaction.atomic
def draft_contract(actor: Any, award: Award, *, starts_on: date, term_months: int | None = None) -> Contract:
    """Turn a confirmed award into a draft contract with lines, milestones and tranches."""
    application = award.application
    call = application.call
    program = call.program
    purchaser = call.issuer
    require(
        acts_for(actor, purchaser, Role.OFFICER),
        _("Only an officer of %(org)s may draft this contract.") % {"org": purchaser.local_name},
    )
    if award.state != Award.State.CONFIRMED:
        raise RuleViolation(_("Only a confirmed award becomes a contract."))
    if Contract.objects.filter(award=award).exists():
        raise RuleViolation(_("This award already has a contract."))
    months = term_months or application.term_months
    if not 1 <= months <= min(36, program.max_term_months):
        raise RuleViolation(
            _("The term must lie between 1 and %(m)d months.") % {"m": min(36, program.max_term_months)}
        )
    ends_on = add_months(starts_on, months) - timedelta(days=1)
    matching = total(m.amount for m in application.matching_funds.all() if m.is_public_matching)
    contract = Contract.objects.create(
        award=award,
        number=f"HT-{application.reference}",
        title=application.title,
        purchaser=purchaser,
        agency=application.lead_agency,
        category=application.category,
        amount=award.amount,
        matching_funds=matching,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    contract.communities.set(application.communities.all())
    ContractLine.objects.bulk_create(
        ContractLine(contract=contract, head=line.head, description=line.description, amount=line.amount)
        for line in application.budget_lines.all()
    )
    percents = [Decimal(p) for p in program.tranche_percents]
    amounts = tranche_amounts(program, award.amount)
    due = milestone_due_dates(starts_on, ends_on)
    kinds = [Milestone.Kind.START, Milestone.Kind.MIDTERM, Milestone.Kind.FINAL]
    if len(percents) != 3:
        raise RuleViolation(_("The program's schedule must have three tranches: start, mid-term and final."))
    for position, (kind, due_on, percent, amount) in enumerate(zip(kinds, due, percents, amounts, strict=True)):
        milestone = Milestone.objects.create(contract=contract, kind=kind, due_on=due_on)
        Tranche.objects.create(
            contract=contract, milestone=milestone, position=position + 1, percent=percent, planned=amount, payable=ZERO
        )
    record(
        actor,
        "contract.drafted",
        contract,
        after={"amount": contract.amount, "tranches": [str(a) for a in amounts], "term": months},
    )
    return contract


@transaction.atomic
def sign_contract(actor: Any, contract: Contract, *, on: date | None = None) -> Contract:
    """The agency countersigns the purchaser's draft; the needs it answers count as addressed."""
    _require_agency(actor, contract)
    transition(contract, Contract.State.ACTIVE, actor=actor, fields={"signed_on": on or timezone.localdate()})
    from grassroots.needs import services as needs_services

    for need in contract.award.application.needs.all():
        needs_services.mark_addressed(actor, need)
    return contract


@transaction.atomic
def submit_milestone(actor: Any, milestone: Milestone, report: str) -> Milestone:
    _require_agency(actor, milestone.contract)
    if milestone.contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("The contract is not active."))
    if not report.strip():
        raise RuleViolation(_("A milestone report cannot be empty."))
    transition(milestone, Milestone.State.SUBMITTED, actor=actor, fields={"report": report.strip()})
    return milestone


@transaction.atomic
def review_milestone(
    actor: Any, milestone: Milestone, *, accept: bool, on: date | None = None, reason: str = ""
) -> Milestone:
    """Accepting a milestone releases its tranche (the last one waits for the final grade too); `on` is the
    day it was accepted (and, should that settle the contract, the day the contract was completed)."""
    _require_purchaser(actor, milestone.contract)
    if accept:
        transition(milestone, Milestone.State.ACCEPTED, actor=actor, fields={"accepted_on": on or timezone.localdate()})
        tranche = milestone.tranche
        if milestone.kind != Milestone.Kind.FINAL:
            transition(tranche, Tranche.State.PAYABLE, actor=actor, fields={"payable": tranche.planned})
        else:
            _release_final(actor, milestone.contract, on=on)
    else:
        if not reason.strip():
            raise RuleViolation(_("Say why the milestone is not accepted."))
        transition(milestone, Milestone.State.REJECTED, actor=actor, reason=reason)
    return milestone


def final_factor(contract: Contract, grade: str) -> Decimal:
    return Decimal(contract.award.application.call.program.grade_factors[grade])


@transaction.atomic
def apply_final_grade(actor: Any, contract: Contract, grade: str, *, on: date | None = None) -> None:
    """Called by the evaluation stage when a final evaluation is accepted (`on`: the day it was, if earlier)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    record(actor, "contract.final_grade", contract, after={"grade": grade})
    _release_final(actor, contract, grade, on=on)


def _release_final(actor: Any, contract: Contract, grade: str | None = None, *, on: date | None = None) -> None:
    """Release the last tranche once the final milestone is accepted and the final grade is known; a tranche
    withheld whole settles the contract `on` that day."""
    from grassroots.evaluation.models import Evaluation

    tranche = Tranche.objects.select_for_update().get(contract=contract, milestone__kind=Milestone.Kind.FINAL)
    if tranche.state != Tranche.State.PLANNED or tranche.milestone.state != Milestone.State.ACCEPTED:
        return
    if grade is None:
        final = Evaluation.objects.filter(
            contract=contract, kind=Evaluation.Kind.FINAL, state=Evaluation.State.ACCEPTED
        ).first()
        if final is None:
            return
        grade = final.grade
    factor = final_factor(contract, grade)
    payable = round_money(tranche.planned * factor)
    if payable <= 0:
        transition(tranche, Tranche.State.WITHHELD, actor=actor, reason=f"final grade {grade}")
        _complete_if_settled(actor, contract, on=on)
    else:
        transition(
            tranche,
            Tranche.State.PAYABLE,
            actor=actor,
            fields={"payable": payable},
            reason=f"final grade {grade}: {factor:%} of the planned amount",
        )


def paid_total(contract: Contract) -> Decimal:
    return sum_of(Payment.objects.filter(tranche__contract=contract), "amount")


def pay_tranche(actor: Any, tranche: Tranche, *, idempotency_key: str, on: date | None = None) -> Payment:
    """Pay a payable tranche exactly once.

    The same idempotency key returns the payment already made; another key for a paid tranche is
    refused. Rows are locked so concurrent requests serialise, and the one-payment-per-tranche and
    unique-key constraints stop a second payment even if a lock were missed.
    """
    if not idempotency_key or len(idempotency_key) > 80:
        raise RuleViolation(_("A payment needs an idempotency key of at most 80 characters."))
    try:
        with transaction.atomic():
            return _pay(actor, tranche, idempotency_key, on)
    except IntegrityError:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None and existing.tranche_id == tranche.pk:
            return existing
        raise RuleViolation(_("This tranche has already been paid.")) from None


def _pay(actor: Any, tranche: Tranche, key: str, on: date | None) -> Payment:
    contract = Contract.objects.select_for_update().get(pk=tranche.contract_id)
    department = contract.award.application.call.program.department
    require(
        acts_for(actor, department, Role.OFFICER) or acts_for(actor, contract.purchaser, Role.OFFICER),
        _("Only the purchaser or its department pays tranches."),
    )
    tranche = Tranche.objects.select_for_update().get(pk=tranche.pk)
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.tranche_id != tranche.pk:
            raise RuleViolation(_("This idempotency key was used for another tranche."))
        return existing
    if tranche.state == Tranche.State.PAID:
        raise RuleViolation(_("This tranche has already been paid."))
    if tranche.state != Tranche.State.PAYABLE:
        raise RuleViolation(
            _("Tranche %(n)d is not payable yet: its milestone must be accepted first.") % {"n": tranche.position}
        )
    # A terminated contract still pays the settlement it made payable.
    if contract.state not in (Contract.State.ACTIVE, Contract.State.TERMINATED):
        raise RuleViolation(_("Only an active contract is paid."))
    already = paid_total(contract)
    if already + tranche.payable > contract.amount:
        raise RuleViolation(
            _("Paying %(a)s would take payments beyond the contract amount %(c)s.")
            % {"a": tranche.payable, "c": contract.amount}
        )
    payment = Payment.objects.create(
        tranche=tranche,
        idempotency_key=key,
        amount=tranche.payable,
        paid_on=on or timezone.localdate(),
        paid_by=actor if getattr(actor, "pk", None) else None,
    )
    transition(tranche, Tranche.State.PAID, actor=actor)
    record(
        actor,
        "payment.made",
        payment,
        after={
            "contract": contract.pk,
            "tranche": tranche.position,
            "amount": payment.amount,
            "paid_total": already + payment.amount,
        },
    )
    _complete_if_settled(actor, contract, on=on)
    return payment


def _complete_if_settled(actor: Any, contract: Contract, *, on: date | None = None) -> None:
    """Complete an active contract once every tranche is paid or withheld, recorded as of `on` (the day of the
    payment or decision that settled it, when that was before it is recorded: what its open data is dated by)."""
    open_tranches = Tranche.objects.filter(contract=contract).exclude(
        state__in=[Tranche.State.PAID, Tranche.State.WITHHELD]
    )
    if contract.state == Contract.State.ACTIVE and not open_tranches.exists():
        if on is not None and on > timezone.localdate():
            on = None  # a payment dated ahead settles the contract now: no state change is recorded in the future
        transition(contract, Contract.State.COMPLETED, actor=actor, reason="every tranche settled", on=on)


def terminate(actor: Any, contract: Contract, reason: str, *, settlement: Any = "0") -> Contract:
    """The purchaser ends the contract at once: `settlement` (default nothing) becomes payable, the rest withheld.

    The same rules as a termination change request, which the purchaser both asks for and approves.
    """
    _require_purchaser(actor, contract)
    request_termination(actor, contract, settlement=settlement, reason=reason)
    contract.refresh_from_db()
    return contract


# --- change requests -------------------------------------------------------------------------


def _require_requester(actor: Any, contract: Contract, *, purchaser_too: bool = False) -> None:
    if purchaser_too and acts_for(actor, contract.purchaser, Role.OFFICER):
        return
    _require_agency(actor, contract)


def _require_active(contract: Contract, *states: str) -> None:
    if contract.state not in (states or (Contract.State.ACTIVE,)):
        raise RuleViolation(_("Only an active contract can be changed."))


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise RuleViolation(_("Say why the contract should change."))
    return reason.strip()


def _no_open_request(contract: Contract, kind: str) -> None:
    if ChangeRequest.objects.filter(contract=contract, kind=kind, state=ChangeRequest.State.REQUESTED).exists():
        raise RuleViolation(_("A change of this kind is already waiting for the purchaser's decision."))


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def line_spent(line: ContractLine) -> Decimal:
    """What has been spent on a budget line (the delivery stage's expenditures, read here, never written)."""
    from grassroots.delivery.models import Expenditure

    return sum_of(Expenditure.objects.filter(line=line), "amount")


def contracted_amount(line: ContractLine) -> Decimal:
    """The line's amount as signed: its amount now, less what reallocations brought in, plus what they took out."""
    applied = ChangeRequest.objects.filter(kind=ChangeRequest.Kind.REALLOCATION, state=ChangeRequest.State.APPLIED)
    moved_in = sum_of(applied.filter(target=line), "amount")
    moved_out = sum_of(applied.filter(source=line), "amount")
    return line.amount - moved_in + moved_out


def tolerance_left(line: ContractLine, tolerance: Decimal) -> Decimal:
    """What may still leave `line` without approval: the tolerance share of the contracted amount, less the
    moves out of it already made without approval (so many small moves cannot add up to a large one)."""
    unapproved_out = sum_of(
        ChangeRequest.objects.filter(
            kind=ChangeRequest.Kind.REALLOCATION,
            state=ChangeRequest.State.APPLIED,
            needs_approval=False,
            source=line,
        ),
        "amount",
    )
    return contracted_amount(line) * tolerance / 100 - unapproved_out


def _check_reallocation(change: ChangeRequest) -> tuple[ContractLine, ContractLine]:
    assert change.source_id is not None and change.target_id is not None
    source = ContractLine.objects.select_for_update().get(pk=change.source_id)
    target = ContractLine.objects.select_for_update().get(pk=change.target_id)
    unspent = source.amount - line_spent(source)
    if change.amount > unspent:
        raise RuleViolation(
            _("Only %(left)s of “%(line)s” is unspent; %(amount)s cannot be moved from it.")
            % {"left": unspent, "line": source.description, "amount": change.amount}
        )
    return source, target


def _apply(actor: Any, change: ChangeRequest) -> None:
    """Carry out a change that is approved or needs no approval, under a lock on the contract."""
    contract = _locked(change.contract)
    if change.kind == ChangeRequest.Kind.REALLOCATION:
        source, target = _check_reallocation(change)
        before = {"source": source.amount, "target": target.amount}
        source.amount -= change.amount
        target.amount += change.amount
        source.save(update_fields=["amount"])
        target.save(update_fields=["amount"])
        record(
            actor,
            "contract.reallocated",
            contract,
            before=before,
            after={"source": source.amount, "target": target.amount, "moved": change.amount},
            reason=change.reason,
        )
    elif change.kind == ChangeRequest.Kind.EXTENSION:
        assert change.new_ends_on is not None
        _check_extension(contract, change.new_ends_on)
        final = Milestone.objects.select_for_update().get(contract=contract, kind=Milestone.Kind.FINAL)
        before = {"ends_on": contract.ends_on, "final_due_on": final.due_on}
        contract.ends_on = change.new_ends_on
        contract.save(update_fields=["ends_on"])
        final.due_on = change.new_ends_on
        final.save(update_fields=["due_on"])
        record(
            actor,
            "contract.extended",
            contract,
            before=before,
            # The change it carries out: the open data's amendment of the terms as signed (before) to these.
            after={"ends_on": contract.ends_on, "final_due_on": final.due_on, "change": change.pk},
            reason=change.reason,
        )
    else:
        _settle(actor, contract, change.amount, change.reason, change.pk)
    transition(change, ChangeRequest.State.APPLIED, actor=actor)


def _create(actor: Any, contract: Contract, kind: str, reason: str, **fields: Any) -> ChangeRequest:
    change = ChangeRequest.objects.create(
        contract=contract,
        kind=kind,
        reason=reason,
        requested_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    record(
        actor,
        "changerequest.requested",
        change,
        after={
            "contract": contract.pk,
            "kind": kind,
            "amount": change.amount,
            "source": change.source_id,
            "target": change.target_id,
            "new_ends_on": change.new_ends_on,
            "needs_approval": change.needs_approval,
        },
        reason=reason,
    )
    if not change.needs_approval:
        _apply(actor, change)
    return change


@transaction.atomic
def request_reallocation(
    actor: Any, contract: Contract, *, source: ContractLine, target: ContractLine, amount: Any, reason: str
) -> ChangeRequest:
    """The agency moves money between two budget lines of its contract; the lines' total never changes.

    Up to the program's tolerance (a share of the source line as contracted) it is applied at once;
    beyond it, it waits for the purchaser. Never more than is left unspent on the source line.
    """
    contract = _locked(contract)
    _require_requester(actor, contract)
    _require_active(contract)
    reason = _require_reason(reason)
    amount = money(amount)
    if amount <= 0:
        raise RuleViolation(_("The amount to move must be positive."))
    if source.contract_id != contract.pk or target.contract_id != contract.pk:
        raise RuleViolation(_("Both budget lines must belong to this contract."))
    if source.pk == target.pk:
        raise RuleViolation(_("Money moves between two different budget lines."))
    source = ContractLine.objects.select_for_update().get(pk=source.pk)
    unspent = source.amount - line_spent(source)
    if amount > unspent:
        raise RuleViolation(
            _("Only %(left)s of “%(line)s” is unspent; %(amount)s cannot be moved from it.")
            % {"left": unspent, "line": source.description, "amount": amount}
        )
    tolerance = contract.award.application.call.program.reallocation_tolerance
    within = amount <= tolerance_left(source, tolerance)
    if not within:
        _no_open_request(contract, ChangeRequest.Kind.REALLOCATION)
    return _create(
        actor,
        contract,
        ChangeRequest.Kind.REALLOCATION,
        reason,
        source=source,
        target=target,
        amount=amount,
        needs_approval=not within,
    )


#: The longest a contract may run, extensions included.
MAX_TERM_MONTHS = 36


def _check_extension(contract: Contract, new_ends_on: date) -> None:
    if new_ends_on <= contract.ends_on:
        raise RuleViolation(
            _("The new end date must come after the current one, %(d)s.") % {"d": contract.ends_on.isoformat()}
        )
    latest = add_months(contract.starts_on, MAX_TERM_MONTHS) - timedelta(days=1)
    if new_ends_on > latest:
        raise RuleViolation(
            _("A contract runs at most %(m)d months in all: it must end by %(d)s.")
            % {"m": MAX_TERM_MONTHS, "d": latest.isoformat()}
        )
    final = Milestone.objects.get(contract=contract, kind=Milestone.Kind.FINAL)
    if final.state not in (Milestone.State.PENDING, Milestone.State.REJECTED):
        raise RuleViolation(_("The final report has already been submitted: the term can no longer be extended."))


@transaction.atomic
def request_extension(actor: Any, contract: Contract, *, new_ends_on: date, reason: str) -> ChangeRequest:
    """The agency asks for a later end date (at most 36 months in all); the final milestone moves with it."""
    contract = _locked(contract)
    _require_requester(actor, contract)
    _require_active(contract)
    reason = _require_reason(reason)
    _check_extension(contract, new_ends_on)
    _no_open_request(contract, ChangeRequest.Kind.EXTENSION)
    return _create(
        actor,
        contract,
        ChangeRequest.Kind.EXTENSION,
        reason,
        previous_ends_on=contract.ends_on,
        new_ends_on=new_ends_on,
    )


def settlement_limit(contract: Contract) -> Decimal:
    """The most a termination may still pay: the planned amounts of the tranches not yet paid or withheld,
    and never more than the contract leaves unpaid."""
    open_planned = sum_of(
        Tranche.objects.filter(contract=contract, state__in=[Tranche.State.PLANNED, Tranche.State.PAYABLE]),
        "planned",
    )
    return min(open_planned, contract.amount - paid_total(contract))


def _check_settlement(contract: Contract, amount: Decimal) -> None:
    limit = settlement_limit(contract)
    if amount > limit:
        raise RuleViolation(
            _("The settlement %(a)s exceeds the unpaid remainder of the contract, %(r)s.") % {"a": amount, "r": limit}
        )


def _settle(actor: Any, contract: Contract, settlement: Decimal, reason: str, applying: int) -> None:
    """Make `settlement` payable on the open tranches in order (the next one first, spilling over to the
    following ones when it is larger), withhold what is left, terminate the contract and reject the changes
    still waiting (`applying` is the termination being carried out)."""
    _check_settlement(contract, settlement)
    left = settlement
    for tranche in (
        Tranche.objects.select_for_update()
        .filter(contract=contract, state__in=[Tranche.State.PLANNED, Tranche.State.PAYABLE])
        .order_by("position")
    ):
        share = min(left, tranche.planned)
        left -= share
        if share <= 0:
            transition(tranche, Tranche.State.WITHHELD, actor=actor, reason=reason)
        elif tranche.state == Tranche.State.PLANNED:
            transition(tranche, Tranche.State.PAYABLE, actor=actor, fields={"payable": share}, reason=reason)
        elif tranche.payable != share:
            before = {"payable": tranche.payable}
            tranche.payable = share
            tranche.save(update_fields=["payable"])
            record(actor, "tranche.settled", tranche, before=before, after={"payable": share}, reason=reason)
    transition(contract, Contract.State.TERMINATED, actor=actor, reason=reason)
    for waiting in (
        ChangeRequest.objects.select_for_update()
        .filter(contract=contract, state=ChangeRequest.State.REQUESTED)
        .exclude(pk=applying)
    ):
        note = _("The contract was terminated.")
        transition(
            waiting,
            ChangeRequest.State.REJECTED,
            actor=actor,
            fields={"decided_by_id": getattr(actor, "pk", None), "decided_at": timezone.now(), "decision_note": note},
            reason=note,
        )
    record(actor, "contract.settled", contract, after={"settlement": settlement}, reason=reason)


@transaction.atomic
def request_termination(actor: Any, contract: Contract, *, settlement: Any, reason: str) -> ChangeRequest:
    """End the contract early, paying `settlement` (at most the unpaid planned remainder) and withholding the rest.

    The agency asks and the purchaser approves; when the purchaser asks, it is applied at once.
    """
    contract = _locked(contract)
    _require_requester(actor, contract, purchaser_too=True)
    _require_active(contract, Contract.State.DRAFT, Contract.State.ACTIVE)
    if not reason.strip():
        raise RuleViolation(_("Say why the contract is terminated."))
    reason = reason.strip()
    amount = money(settlement)
    if amount < 0:
        raise RuleViolation(_("A settlement cannot be negative."))
    _check_settlement(contract, amount)
    by_purchaser = acts_for(actor, contract.purchaser, Role.OFFICER)
    if not by_purchaser:
        _no_open_request(contract, ChangeRequest.Kind.TERMINATION)
    return _create(
        actor, contract, ChangeRequest.Kind.TERMINATION, reason, amount=amount, needs_approval=not by_purchaser
    )


def _decidable(actor: Any, change: ChangeRequest) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().select_related("contract").get(pk=change.pk)
    _require_purchaser(actor, change.contract)
    return change


@transaction.atomic
def approve_change(actor: Any, change: ChangeRequest, *, note: str = "") -> ChangeRequest:
    """An officer of the purchaser approves a requested change, which is applied at once (checked again first)."""
    change = _decidable(actor, change)
    if change.kind == ChangeRequest.Kind.TERMINATION:
        _require_active(change.contract, Contract.State.DRAFT, Contract.State.ACTIVE)
    else:
        _require_active(change.contract)
    _decide(actor, change, ChangeRequest.State.APPROVED, note)
    _apply(actor, change)
    return change


@transaction.atomic
def reject_change(actor: Any, change: ChangeRequest, *, reason: str) -> ChangeRequest:
    """An officer of the purchaser refuses a requested change, saying why; nothing of the contract changes."""
    change = _decidable(actor, change)
    if not reason.strip():
        raise RuleViolation(_("Say why the change is rejected."))
    _decide(actor, change, ChangeRequest.State.REJECTED, reason)
    return change


def _decide(actor: Any, change: ChangeRequest, state: str, note: str) -> None:
    """Record the purchaser's decision on a change request: who, when and why."""
    transition(
        change,
        state,
        actor=actor,
        fields={
            "decided_by_id": getattr(actor, "pk", None),
            "decided_at": timezone.now(),
            "decision_note": note.strip(),
        },
        reason=note.strip(),
    )
