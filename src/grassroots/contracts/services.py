"""Contracts from awards, milestones, tranches and payments.

Money rules, each checked under row locks: tranches add up to the contract amount exactly; a tranche
is paid once (one `Payment` per tranche, an idempotency key per request); payments never exceed
the contract; the last tranche is scaled by the final grade as the program says.
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
from grassroots.core.money import ZERO, round_money, sum_of, total
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.funding.services import tranche_amounts
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import acts_for

from .models import Contract, ContractLine, Milestone, Payment, Tranche


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_purchaser(actor: Any, contract: Contract) -> None:
    require(
        acts_for(actor, contract.purchaser, Role.OFFICER),
        _("Only an officer of %(org)s may do this.") % {"org": contract.purchaser.name},
    )


def _require_agency(actor: Any, contract: Contract) -> None:
    require(
        acts_for(actor, contract.agency, Role.MANAGER),
        _("Only a manager of %(org)s may do this.") % {"org": contract.agency.name},
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
        _("Only an officer of %(org)s may draft this contract.") % {"org": purchaser.name},
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
    span = (ends_on - starts_on).days
    due = [starts_on + timedelta(days=min(30, span)), starts_on + timedelta(days=span // 2), ends_on]
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
    """Accepting a milestone releases its tranche (the last one waits for the final grade too)."""
    _require_purchaser(actor, milestone.contract)
    if accept:
        transition(milestone, Milestone.State.ACCEPTED, actor=actor, fields={"accepted_on": on or timezone.localdate()})
        tranche = milestone.tranche
        if milestone.kind != Milestone.Kind.FINAL:
            transition(tranche, Tranche.State.PAYABLE, actor=actor, fields={"payable": tranche.planned})
        else:
            _release_final(actor, milestone.contract)
    else:
        if not reason.strip():
            raise RuleViolation(_("Say why the milestone is not accepted."))
        transition(milestone, Milestone.State.REJECTED, actor=actor, reason=reason)
    return milestone


def final_factor(contract: Contract, grade: str) -> Decimal:
    return Decimal(contract.award.application.call.program.grade_factors[grade])


@transaction.atomic
def apply_final_grade(actor: Any, contract: Contract, grade: str) -> None:
    """Called by the evaluation stage when a final evaluation is accepted."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    record(actor, "contract.final_grade", contract, after={"grade": grade})
    _release_final(actor, contract, grade)


def _release_final(actor: Any, contract: Contract, grade: str | None = None) -> None:
    """Release the last tranche once the final milestone is accepted and the final grade is known."""
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
        _complete_if_settled(actor, contract)
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
    if contract.state != Contract.State.ACTIVE:
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
    _complete_if_settled(actor, contract)
    return payment


def _complete_if_settled(actor: Any, contract: Contract) -> None:
    open_tranches = Tranche.objects.filter(contract=contract).exclude(
        state__in=[Tranche.State.PAID, Tranche.State.WITHHELD]
    )
    if contract.state == Contract.State.ACTIVE and not open_tranches.exists():
        transition(contract, Contract.State.COMPLETED, actor=actor, reason="every tranche settled")


@transaction.atomic
def terminate(actor: Any, contract: Contract, reason: str) -> Contract:
    _require_purchaser(actor, contract)
    if not reason.strip():
        raise RuleViolation(_("Say why the contract is terminated."))
    for tranche in Tranche.objects.select_for_update().filter(
        contract=contract, state__in=[Tranche.State.PLANNED, Tranche.State.PAYABLE]
    ):
        transition(tranche, Tranche.State.WITHHELD, actor=actor, reason=reason)
    transition(contract, Contract.State.TERMINATED, actor=actor, reason=reason)
    return contract
