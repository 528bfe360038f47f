"""Expert review: conflicts of interest, assignments and blind scores."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.i18n import render_message
from grassroots.orgs.models import Expert


class Conflict(models.Model):
    class Source(models.TextChoices):
        DECLARED = "declared", _("Declared")
        DETECTED = "detected", _("Detected")
        MANUAL = "manual", _("Added by staff")

    expert = models.ForeignKey(Expert, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="conflicts")
    application = models.ForeignKey(
        "applications.Application", verbose_name=_("application"), on_delete=models.CASCADE, related_name="conflicts"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=300)  # in the site's language (the key of a detected one)
    message = models.JSONField(_("detected reason"), null=True, blank=True)  # its template and parameters

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [models.UniqueConstraint(fields=["expert", "application", "reason"], name="unique_conflict")]

    def __str__(self) -> str:
        return f"{self.expert} × {self.application}: {self.reason}"

    def shown_reason(self) -> str:
        """The reason in the reader's language: a detected one from its message, a declared or added one as
        written."""
        return render_message(self.message) if self.message else self.reason


class Review(models.Model):
    """One expert's review of one application."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn (conflict)")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.ASSIGNED: {State.SUBMITTED, State.WITHDRAWN},
        State.SUBMITTED: set(),
        State.WITHDRAWN: set(),
    }

    application = models.ForeignKey(
        "applications.Application", verbose_name=_("application"), on_delete=models.CASCADE, related_name="reviews"
    )
    expert = models.ForeignKey(Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="reviews")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.ASSIGNED)
    affinity = models.DecimalField(_("affinity"), max_digits=5, decimal_places=4, default=0)
    total = models.DecimalField(_("weighted total"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [models.UniqueConstraint(fields=["application", "expert"], name="one_review_per_pair")]

    def __str__(self) -> str:
        return f"{self.expert} → {self.application}"


class Score(models.Model):
    review = models.ForeignKey(Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        "funding.Criterion", verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="scores"
    )
    value = models.DecimalField(_("score (0-100)"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="one_score_per_criterion")]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"
