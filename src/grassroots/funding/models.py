"""Programs (发包), street envelopes and calls (打包): where the money and the rules of a year come from."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.money import MoneyField
from grassroots.orgs.models import Organization

from . import schedule


class ServiceCategory(models.Model):
    """An entry of the purchase catalogue (购买服务指导性目录)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")

    def __str__(self) -> str:
        return self.name


class ProcurementMethod(models.TextChoices):
    PUBLIC_COMPETITION = "open", _("Open competition (public venture)")
    SELECTIVE = "selective", _("Invited competition")
    NEGOTIATION = "limited", _("Competitive negotiation")
    SINGLE_SOURCE = "direct", _("Single source")


def default_tranches() -> list[str]:
    """The platform's schedule (`funding.schedule`), a fresh list for each program's field."""
    return list(schedule.TRANCHE_PERCENTS)


def default_grade_factors() -> dict[str, str]:
    """How much of the last tranche each final grade releases (`funding.schedule`)."""
    return dict(schedule.GRADE_FACTORS)


class Program(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.DRAFT: {State.OPEN},
        State.OPEN: {State.CLOSED},
        State.CLOSED: set(),
    }

    department = models.ForeignKey(
        Organization, verbose_name=_("department"), on_delete=models.PROTECT, related_name="programs"
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    budget = MoneyField(_("budget"))
    method = models.CharField(
        _("procurement method"),
        max_length=20,
        choices=ProcurementMethod.choices,
        default=ProcurementMethod.PUBLIC_COMPETITION,
    )
    categories = models.ManyToManyField(ServiceCategory, verbose_name=_("service categories"), related_name="programs")
    eligibility = models.TextField(_("eligibility"), blank=True)
    tranche_percents = models.JSONField(
        _("tranche percentages"),
        default=default_tranches,
        help_text=_("Shares of the contract paid at start, mid-term and final."),
    )
    grade_factors = models.JSONField(
        _("final-grade factors"),
        default=default_grade_factors,
        help_text=_("Share of the last tranche each final grade releases."),
    )
    management_fee_cap = models.DecimalField(
        _("management fee cap (%)"), max_digits=5, decimal_places=2, default=Decimal("10")
    )
    personnel_share_cap = models.DecimalField(
        _("personnel share cap (%)"), max_digits=5, decimal_places=2, default=Decimal("60")
    )
    max_term_months = models.PositiveSmallIntegerField(_("longest contract term (months)"), default=12)
    reallocation_tolerance = models.DecimalField(
        _("reallocation tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "Share of a contract budget line the agency may move to another line without the purchaser's approval."
        ),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-fiscal_year", "title"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self) -> str:
        return self.title


class Envelope(models.Model):
    """The part of a program's budget entrusted to one street office."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="envelopes")
    street = models.ForeignKey(
        Organization, verbose_name=_("street"), on_delete=models.PROTECT, related_name="envelopes"
    )
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("envelope")
        verbose_name_plural = _("envelopes")
        constraints = [models.UniqueConstraint(fields=["program", "street"], name="one_envelope_per_street")]

    def __str__(self) -> str:
        return f"{self.program} · {self.street}"


class Aggregation(models.TextChoices):
    MEAN = "mean", _("Mean of the reviewers' totals")
    TRIMMED_MEAN = "trimmed_mean", _("Trimmed mean (drops the highest and lowest)")
    ZSCORE = "zscore", _("Per-reviewer z-score normalisation")


class AwardRule(models.TextChoices):
    RANK_ORDER = "rank_order", _("Rank order")
    MAX_TOTAL_SCORE = "max_total_score", _("Largest total score within the budget")


class Call(models.Model):
    """A call for applications (申报指南), opened by a street on an envelope or by a department directly."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for applications")
        REVIEW = "review", _("Under review")
        AWARDING = "awarding", _("Awarding")
        DECIDED = "decided", _("Decided")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.DRAFT: {State.OPEN, State.CANCELLED},
        State.OPEN: {State.REVIEW, State.CANCELLED},
        State.REVIEW: {State.AWARDING, State.CANCELLED},
        State.AWARDING: {State.DECIDED, State.REVIEW},
        State.DECIDED: set(),
        State.CANCELLED: set(),
    }

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="calls")
    envelope = models.ForeignKey(
        Envelope, verbose_name=_("envelope"), null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    issuer = models.ForeignKey(
        Organization, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="calls_issued"
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    categories = models.ManyToManyField(ServiceCategory, verbose_name=_("service categories"), related_name="calls")
    funds = MoneyField(_("funds from the program"))
    matching_funds = MoneyField(_("street matching funds"))
    max_request = MoneyField(_("largest request"))
    min_score = models.DecimalField(_("minimum score"), max_digits=5, decimal_places=2, default=Decimal("60"))
    reviewers_per_application = models.PositiveSmallIntegerField(_("reviewers per application"), default=3)
    aggregation = models.CharField(
        _("score aggregation"), max_length=20, choices=Aggregation.choices, default=Aggregation.MEAN
    )
    disagreement_threshold = models.DecimalField(
        _("disagreement threshold (points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        help_text=_("Flag an application whose reviewers' totals differ by more than this."),
    )
    conflict_years = models.PositiveSmallIntegerField(
        _("conflict look-back (years)"), default=3, help_text=_("Past collaboration within this many years conflicts.")
    )
    performance_default = models.DecimalField(
        _("past-performance score of a newcomer"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("70"),
        help_text=_("Used by a past-performance criterion for an agency without evaluated contracts."),
    )
    award_rule = models.CharField(
        _("allocation rule"), max_length=20, choices=AwardRule.choices, default=AwardRule.RANK_ORDER
    )
    max_awards_per_agency = models.PositiveSmallIntegerField(_("most awards per agency"), null=True, blank=True)
    category_caps = models.JSONField(
        _("caps per category"), default=dict, blank=True, help_text=_("Category code → largest total awarded.")
    )
    publicity_days = models.PositiveSmallIntegerField(_("publicity period (working days)"), default=5)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    needs = models.ManyToManyField("needs.Need", verbose_name=_("needs it answers"), related_name="calls", blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)

    class Meta:
        ordering = ["-opens_on"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return self.title

    @property
    def budget(self) -> Decimal:
        """What the call may award: the program's funds plus the street's matching funds."""
        return self.funds + self.matching_funds


class Criterion(models.Model):
    """A weighted review criterion of a call; the weights of a call add up to 100.

    Reviewers score most criteria; a past-performance criterion is filled from the applying agency's
    evaluated contracts (the incentive loop), so no reviewer scores it.
    """

    class Source(models.TextChoices):
        REVIEWERS = "reviewers", _("Reviewers")
        PERFORMANCE = "performance", _("Agency's past performance")

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(_("scored by"), max_length=20, choices=Source.choices, default=Source.REVIEWERS)

    class Meta:
        ordering = ["call", "position"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"
