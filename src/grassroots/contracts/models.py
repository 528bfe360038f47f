"""Contracts, their budget lines, milestones, payment tranches and payments."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.core.money import MoneyField
from grassroots.orgs.models import Organization


class Contract(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.DRAFT: {State.ACTIVE, State.TERMINATED},
        State.ACTIVE: {State.COMPLETED, State.TERMINATED},
        State.COMPLETED: set(),
        State.TERMINATED: set(),
    }

    award = models.OneToOneField(
        "awards.Award", verbose_name=_("award"), on_delete=models.PROTECT, related_name="contract"
    )
    number = models.CharField(_("contract number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    purchaser = models.ForeignKey(
        Organization, verbose_name=_("purchaser"), on_delete=models.PROTECT, related_name="contracts_purchased"
    )
    agency = models.ForeignKey(
        Organization, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="contracts"
    )
    communities = models.ManyToManyField(
        Organization, verbose_name=_("partner communities"), related_name="contracts_partnered"
    )
    category = models.ForeignKey(
        "funding.ServiceCategory",
        verbose_name=_("service category"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    amount = MoneyField(_("contract amount"))
    matching_funds = MoneyField(_("matching funds"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "number"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ContractLine(models.Model):
    """A budget line of the contract, against which expenditures are booked."""

    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="lines")
    head = models.CharField(_("head"), max_length=20)
    description = models.CharField(_("description"), max_length=200)
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("contract budget line")
        verbose_name_plural = _("contract budget lines")

    def __str__(self) -> str:
        return self.description


class Milestone(models.Model):
    class Kind(models.TextChoices):
        START = "start", _("Start")
        MIDTERM = "midterm", _("Mid-term")
        FINAL = "final", _("Final")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.PENDING: {State.SUBMITTED},
        State.SUBMITTED: {State.ACCEPTED, State.REJECTED},
        State.REJECTED: {State.SUBMITTED},
        State.ACCEPTED: set(),
    }

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    report = models.TextField(_("report"), blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "due_on"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [models.UniqueConstraint(fields=["contract", "kind"], name="one_milestone_per_kind")]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.get_kind_display()}"


class Tranche(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PAYABLE = "payable", _("Payable")
        PAID = "paid", _("Paid")
        WITHHELD = "withheld", _("Withheld")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.PLANNED: {State.PAYABLE, State.WITHHELD},
        State.PAYABLE: {State.PAID, State.WITHHELD},
        State.PAID: set(),
        State.WITHHELD: set(),
    }

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="tranches"
    )
    milestone = models.OneToOneField(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="tranche"
    )
    position = models.PositiveSmallIntegerField(_("number"))
    percent = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    planned = MoneyField(_("planned amount"))
    payable = MoneyField(_("payable amount"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PLANNED)

    class Meta:
        ordering = ["contract", "position"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [models.UniqueConstraint(fields=["contract", "position"], name="one_tranche_per_position")]

    def __str__(self) -> str:
        return f"{self.contract.number} #{self.position}"


class Payment(models.Model):
    """A payment of one tranche. One per tranche, enforced by the database as well as the service."""

    tranche = models.OneToOneField(Tranche, verbose_name=_("tranche"), on_delete=models.PROTECT, related_name="payment")
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    amount = MoneyField(_("amount"))
    paid_on = models.DateField(_("paid on"))
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("paid by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=Decimal("0")), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.tranche} · {self.amount}"


class ChangeRequest(models.Model):
    """A change of a running contract: money moved between budget lines, a longer term, or termination.

    A reallocation within the program's tolerance is applied at once; every other change waits for an
    officer of the purchaser, who approves (and so applies) or rejects it.
    """

    class Kind(models.TextChoices):
        REALLOCATION = "reallocation", _("Budget reallocation")
        EXTENSION = "extension", _("Term extension")
        TERMINATION = "termination", _("Termination with settlement")

    class State(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("change request state", "Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        APPLIED = "applied", _("Applied")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        # REQUESTED → APPLIED directly only for changes that need no approval (the service decides).
        State.REQUESTED: {State.APPROVED, State.REJECTED, State.APPLIED},
        State.APPROVED: {State.APPLIED},
        State.REJECTED: set(),
        State.APPLIED: set(),
    }

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="change_requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.REQUESTED)
    needs_approval = models.BooleanField(_("needs the purchaser's approval"), default=True)
    reason = models.TextField(_("reason"))
    # Reallocation: `amount` moves from `source` to `target`. Termination: `amount` is the settlement.
    source = models.ForeignKey(
        ContractLine,
        verbose_name=_("from budget line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reallocations_out",
    )
    target = models.ForeignKey(
        ContractLine,
        verbose_name=_("to budget line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reallocations_in",
    )
    amount = MoneyField(_("amount"))
    # Extension: the contract's end date before and after.
    previous_ends_on = models.DateField(_("previous end date"), null=True, blank=True)
    new_ends_on = models.DateField(_("new end date"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["contract", "requested_at", "pk"]
        verbose_name = _("contract change request")
        verbose_name_plural = _("contract change requests")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=Decimal("0")), name="change_amount_nonneg")
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.get_kind_display()} #{self.pk}"
