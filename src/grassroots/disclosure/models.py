"""What each imported OCDS object became here, so importing the same package again finds it instead of
duplicating it, and an export of imported data keeps the ocid and ids it came with."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class OcdsLink(models.Model):
    class Kind(models.TextChoices):
        PROGRAM = "program", _("Program")
        ENVELOPE = "envelope", _("Envelope")
        CALL = "call", _("Call")
        BID = "bid", _("Application (bid)")
        AWARD_LIST = "award_list", _("Award list")
        AWARD = "award", _("Award")
        CONTRACT = "contract", _("Contract")
        PAYMENT = "payment", _("Payment")

    #: The ocid for an object of one process; the ocid prefix (the publisher) for programs and envelopes,
    #: which several processes share.
    scope = models.CharField(_("scope"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    ocds_id = models.CharField(_("OCDS id"), max_length=300)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField(_("object id"))
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("imported OCDS object")
        verbose_name_plural = _("imported OCDS objects")
        constraints = [models.UniqueConstraint(fields=["scope", "kind", "ocds_id"], name="one_link_per_ocds_object")]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.kind} {self.ocds_id}"
