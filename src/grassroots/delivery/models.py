"""What an agency does under a contract: service records and expenditures."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.applications.models import ServiceKind
from grassroots.core.money import MoneyField
from grassroots.orgs.models import Person


class Replayable(models.Model):
    """A row an API client may send again (`Idempotency-Key`): the key and a digest of what was sent, so a
    replay returns the row instead of writing it twice (unique per contract)."""

    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=80,
        blank=True,
        default="",
        help_text=_("Sent by an API client so that a request sent again writes once (unique per contract)."),
    )
    request_digest = models.CharField(_("request digest"), max_length=64, blank=True, default="")

    class Meta:
        abstract = True


class ServiceRecord(Replayable):
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="service_records"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    social_workers = models.ManyToManyField(
        Person, verbose_name=_("social workers"), related_name="service_records", blank=True
    )
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), default=0)
    beneficiary_codes = models.JSONField(_("anonymised beneficiary codes"), default=list, blank=True)
    service_hours = models.DecimalField(_("service hours"), max_digits=8, decimal_places=2, default=0)
    volunteers = models.PositiveIntegerField(_("volunteers"), default=0)
    volunteer_hours = models.DecimalField(_("volunteer hours"), max_digits=8, decimal_places=2, default=0)
    resident_participants = models.PositiveIntegerField(_("resident participants"), default=0)
    location = models.CharField(_("location"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        Person, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        indexes = [
            # A contract's records by date; the two figures governance analytics sums per jurisdiction and
            # year ride along, so those sums over millions of records read the index alone.
            models.Index(
                fields=["contract", "held_on", "volunteer_hours", "resident_participants"],
                name="servicerecord_contract_day",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="servicerecord_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class Expenditure(Replayable):
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="expenditures"
    )
    line = models.ForeignKey(
        "contracts.ContractLine", verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="expenditures"
    )
    spent_on = models.DateField(_("date"))
    amount = MoneyField(_("amount"))
    description = models.CharField(_("description"), max_length=200)
    receipt = models.CharField(_("receipt number"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        Person, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-spent_on"]
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="expenditure_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.description} {self.amount}"


class Attachment(models.Model):
    """Evidence kept with a service record (photos, sign-in sheets) or an expenditure (its receipt)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        SIGN_IN = "sign_in", _("Sign-in sheet")
        RECEIPT = "receipt", _("Receipt")
        OTHER = "other", _("Other document")

    record = models.ForeignKey(
        ServiceRecord,
        verbose_name=_("service record"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    expenditure = models.ForeignKey(
        Expenditure,
        verbose_name=_("expenditure"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        Person, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(record__isnull=False, expenditure__isnull=True)
                | models.Q(record__isnull=True, expenditure__isnull=False),
                name="attachment_belongs_to_one",
            )
        ]

    def __str__(self) -> str:
        return self.name
