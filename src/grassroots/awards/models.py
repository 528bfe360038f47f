"""Awards: the budget-constrained selection, its publicity period (公示), objections and the decision."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.money import MoneyField
from grassroots.funding.models import AwardRule
from grassroots.orgs.models import Person


class AwardList(models.Model):
    """The proposed list of awards of one call, as publicised and then decided."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        PUBLICITY = "publicity", _("In publicity")
        DECIDED = "decided", _("Decided")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    Rule = AwardRule  # one definition, kept with the call that chooses it

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.PROPOSED: {State.PUBLICITY, State.WITHDRAWN},
        State.PUBLICITY: {State.DECIDED, State.WITHDRAWN},
        State.DECIDED: set(),
        State.WITHDRAWN: set(),
    }

    call = models.ForeignKey(
        "funding.Call", verbose_name=_("call"), on_delete=models.PROTECT, related_name="award_lists"
    )
    rule = models.CharField(_("allocation rule"), max_length=20, choices=Rule.choices, default=Rule.RANK_ORDER)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PROPOSED)
    total = MoneyField(_("total awarded"))
    publicity_from = models.DateField(_("publicity from"), null=True, blank=True)
    publicity_until = models.DateField(_("publicity until"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    reasons = models.JSONField(_("reasons for applications not funded"), default=dict, blank=True)

    class Meta:
        verbose_name = _("award list")
        verbose_name_plural = _("award lists")

    def __str__(self) -> str:
        return f"{self.call} · {self.get_state_display()}"


class Award(models.Model):
    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        REVOKED = "revoked", _("Revoked")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.PROPOSED: {State.CONFIRMED, State.REVOKED},
        State.CONFIRMED: set(),
        State.REVOKED: set(),
    }

    award_list = models.ForeignKey(
        AwardList, verbose_name=_("award list"), on_delete=models.CASCADE, related_name="awards"
    )
    application = models.ForeignKey(
        "applications.Application", verbose_name=_("application"), on_delete=models.PROTECT, related_name="awards"
    )
    amount = MoneyField(_("amount"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PROPOSED)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.UniqueConstraint(fields=["award_list", "application"], name="one_award_per_application"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.amount}"


class Objection(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.OPEN: {State.UPHELD, State.DISMISSED},
        State.UPHELD: set(),
        State.DISMISSED: set(),
    }

    award_list = models.ForeignKey(
        AwardList, verbose_name=_("award list"), on_delete=models.CASCADE, related_name="objections"
    )
    award = models.ForeignKey(
        Award,
        verbose_name=_("award objected to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="objections",
    )
    raised_by = models.ForeignKey(
        Person, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="objections"
    )
    text = models.TextField(_("objection"))
    response = models.TextField(_("response"), blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.raised_by}: {self.text[:40]}"
