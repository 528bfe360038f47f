"""Joint applications (抓包): lead agency, partner communities, social-worker team, needs, indicators, budget."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.money import MoneyField
from grassroots.orgs.models import Organization, Person


class Application(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ELIGIBLE = "eligible", _("Eligible")
        INELIGIBLE = "ineligible", _("Ineligible")
        AWARDED = "awarded", _("Awarded")
        NOT_AWARDED = "not_awarded", _("Not awarded")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.DRAFT: {State.SUBMITTED, State.WITHDRAWN},
        State.SUBMITTED: {State.ELIGIBLE, State.INELIGIBLE, State.WITHDRAWN},
        State.ELIGIBLE: {State.AWARDED, State.NOT_AWARDED, State.WITHDRAWN},
        State.INELIGIBLE: set(),
        State.AWARDED: {State.NOT_AWARDED},  # an upheld objection can take an award back
        State.NOT_AWARDED: set(),
        State.WITHDRAWN: set(),
    }

    call = models.ForeignKey(
        "funding.Call", verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications"
    )
    lead_agency = models.ForeignKey(
        Organization, verbose_name=_("lead agency"), on_delete=models.PROTECT, related_name="applications_led"
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    category = models.ForeignKey(
        "funding.ServiceCategory",
        verbose_name=_("service category"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    objectives = models.TextField(_("objectives"), blank=True)
    communities = models.ManyToManyField(
        Organization, verbose_name=_("partner communities"), related_name="applications_partnered", blank=True
    )
    needs = models.ManyToManyField(
        "needs.Need", verbose_name=_("needs answered"), related_name="applications", blank=True
    )
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=12)
    requested = MoneyField(_("amount requested"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    eligibility_notes = models.JSONField(_("eligibility findings"), default=list, blank=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    performance_score = models.DecimalField(
        _("past-performance score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    disagreement = models.BooleanField(_("reviewers disagree"), default=False)

    class Meta:
        ordering = ["call", "rank", "reference"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class TeamMember(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Project lead")
        MEMBER = "member", _("Team member")
        SUPERVISOR = "supervisor", _("Supervisor")

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="team"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("social worker"), on_delete=models.PROTECT, related_name="team_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["application", "person"], name="one_seat_per_team")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class IndicatorKind(models.TextChoices):
    OUTPUT = "output", _("Output")
    OUTCOME = "outcome", _("Outcome")


class ServiceKind(models.TextChoices):
    CASE = "case", _("Case work")
    GROUP = "group", _("Group work")
    COMMUNITY = "community", _("Community activity")


class Measure(models.TextChoices):
    """What a service record contributes to an output indicator that is derived from delivery."""

    SESSIONS = "sessions", _("Number of sessions")
    BENEFICIARIES = "beneficiaries", _("Beneficiaries served")
    HOURS = "hours", _("Service hours")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")
    RESIDENTS = "residents", _("Resident participants")
    MANUAL = "manual", _("Reported by hand")


class Indicator(models.Model):
    """An indicator with a target that the application promises and the contract then carries."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="indicators"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=IndicatorKind.choices, default=IndicatorKind.OUTPUT)
    service_kind = models.CharField(_("service kind"), max_length=20, choices=ServiceKind.choices, blank=True)
    measure = models.CharField(_("measured by"), max_length=20, choices=Measure.choices, default=Measure.SESSIONS)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.name}: {self.target} {self.unit}"


class BudgetHead(models.TextChoices):
    PERSONNEL = "personnel", _("Personnel")
    ACTIVITIES = "activities", _("Activities")
    MATERIALS = "materials", _("Materials")
    TRAINING = "training", _("Training and supervision")
    MANAGEMENT = "management", _("Management fee")
    OTHER = "other", _("Other")


class BudgetLine(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="budget_lines"
    )
    head = models.CharField(_("head"), max_length=20, choices=BudgetHead.choices)
    description = models.CharField(_("description"), max_length=200)
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")

    def __str__(self) -> str:
        return f"{self.get_head_display()}: {self.description}"


class FundSource(models.TextChoices):
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    CHARITY = "charity", _("Charity or enterprise")
    AGENCY = "agency", _("Agency's own funds")


class MatchingFund(models.Model):
    """Money beside the public grant; the budget lines are paid from the request plus these."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="matching_funds"
    )
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("matching fund")
        verbose_name_plural = _("matching funds")

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.amount}"

    @property
    def is_public_matching(self) -> bool:
        return self.source in (FundSource.COMMUNITY, FundSource.STREET, FundSource.CHARITY)
