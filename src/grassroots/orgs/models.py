"""Organizations, people, their memberships (who acts for whom, in what role) and the expert pool."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.i18n import in_language
from grassroots.core.uscc import uscc_validator


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", _("Purchasing department")
    STREET = "street", _("Street office")
    COMMUNITY = "community", _("Community")
    AGENCY = "agency", _("Social-work agency")
    EVALUATOR = "evaluator", _("Third-party evaluator")


class Organization(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[uscc_validator])
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("A street's department; a community's street."),
    )
    residents = models.PositiveIntegerField(_("residents"), default=0, help_text=_("Communities only."))
    address = models.CharField(_("address"), max_length=300, blank=True)
    founded = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    @property
    def local_name(self) -> str:
        """The name in the reader's language (for messages; pages use the `tr` filter)."""
        return in_language(self)


class Certificate(models.TextChoices):
    NONE = "none", _("No certificate")
    ASSISTANT = "assistant", _("Assistant social worker")
    INTERMEDIATE = "intermediate", _("Social worker (intermediate)")
    SENIOR = "senior", _("Senior social worker")


class Person(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    certificate = models.CharField(
        _("social-work certificate"), max_length=20, choices=Certificate.choices, default=Certificate.NONE
    )
    home_community = models.ForeignKey(
        Organization,
        verbose_name=_("home community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents_set",
        limit_choices_to={"kind": OrgKind.COMMUNITY},
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")  # department or street staff
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    MANAGER = "manager", _("Agency manager")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    BOARD_MEMBER = "board_member", _("Board member")
    EVALUATOR = "evaluator", _("Evaluator")
    RESIDENT = "resident", _("Resident")


#: Which roles make sense in which kind of organization.
ROLES_BY_KIND: dict[str, set[str]] = {
    OrgKind.DEPARTMENT: {Role.OFFICER},
    OrgKind.STREET: {Role.OFFICER},
    OrgKind.COMMUNITY: {Role.COMMUNITY_WORKER, Role.RESIDENT},
    OrgKind.AGENCY: {Role.MANAGER, Role.SOCIAL_WORKER, Role.BOARD_MEMBER},
    OrgKind.EVALUATOR: {Role.EVALUATOR, Role.MANAGER},
}


class Membership(models.Model):
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["person", "organization", "role"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.organization}"


class Expert(models.Model):
    """A member of the reviewer pool."""

    person = models.OneToOneField(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="expert")
    expertise = models.JSONField(
        _("expertise"), default=list, blank=True, help_text=_("Service category codes the expert knows.")
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=6, help_text=_("Most applications per call."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")

    def __str__(self) -> str:
        return str(self.person)


class AffiliationKind(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    BOARD = "board", _("Board member")
    MEMBER = "member", _("Member or resident")
    COLLABORATOR = "collaborator", _("Worked together")


class Affiliation(models.Model):
    """A tie an expert declared to an organization; the conflict screening reads it."""

    expert = models.ForeignKey(Expert, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="affiliations")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="expert_affiliations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AffiliationKind.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")

    def __str__(self) -> str:
        return f"{self.expert} · {self.get_kind_display()} · {self.organization}"
