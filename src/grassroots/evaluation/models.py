"""Third-party evaluations, their scored items, and the agency's performance record they produce."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.orgs.models import Organization


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class Evaluation(models.Model):
    class Kind(models.TextChoices):
        MIDTERM = "midterm", _("Mid-term")
        FINAL = "final", _("Final")

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.ASSIGNED: {State.SUBMITTED},
        State.SUBMITTED: {State.ACCEPTED, State.ASSIGNED},
        State.ACCEPTED: set(),
    }

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="evaluations"
    )
    evaluator = models.ForeignKey(
        Organization, verbose_name=_("evaluator"), on_delete=models.PROTECT, related_name="evaluations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.ASSIGNED)
    score = models.DecimalField(_("total score"), max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [models.UniqueConstraint(fields=["contract", "kind"], name="one_evaluation_per_kind")]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.get_kind_display()}"


class EvaluationItem(models.Model):
    """A weighted dimension of an evaluation with its score out of 100."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    score = models.DecimalField(_("score (0-100)"), max_digits=5, decimal_places=2)
    evidence = models.TextField(_("evidence and comments"), blank=True)

    class Meta:
        verbose_name = _("evaluation item")
        verbose_name_plural = _("evaluation items")
        constraints = [models.UniqueConstraint(fields=["evaluation", "code"], name="one_item_per_code")]

    def __str__(self) -> str:
        return f"{self.name}: {self.score}"


class PerformanceRecord(models.Model):
    """An agency's result on one contract, which later reviews read (the incentive loop)."""

    agency = models.ForeignKey(
        Organization, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="performance_records"
    )
    contract = models.OneToOneField(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="performance_record"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)

    class Meta:
        ordering = ["-fiscal_year"]
        verbose_name = _("performance record")
        verbose_name_plural = _("performance records")

    def __str__(self) -> str:
        return f"{self.agency} {self.fiscal_year}: {self.get_grade_display()}"
