"""Residents' needs and the community consultation meetings (议事协商) that rank them."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.orgs.models import Organization, Person


class Need(models.Model):
    class State(models.TextChoices):
        RAISED = "raised", _("Raised")
        CONSULTED = "consulted", _("Consulted")
        PRIORITISED = "prioritised", _("Prioritised")
        ADDRESSED = "addressed", _("Addressed by a contract")
        RESOLVED = "resolved", _("Resolved")
        MERGED = "merged", _("Merged into another")
        DECLINED = "declined", _("Declined")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.RAISED: {State.CONSULTED, State.PRIORITISED, State.MERGED, State.DECLINED},
        State.CONSULTED: {State.PRIORITISED, State.DECLINED, State.MERGED},
        State.PRIORITISED: {State.ADDRESSED, State.RESOLVED},
        State.ADDRESSED: {State.RESOLVED},
        State.RESOLVED: set(),
        State.MERGED: set(),
        State.DECLINED: set(),
    }

    community = models.ForeignKey(
        Organization, verbose_name=_("community"), on_delete=models.PROTECT, related_name="needs"
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        "funding.ServiceCategory", verbose_name=_("service category"), on_delete=models.PROTECT, related_name="needs"
    )
    people_affected = models.PositiveIntegerField(_("people affected"), default=0)
    location = models.CharField(_("location"), max_length=200, blank=True)
    raised_by = models.ForeignKey(
        Person,
        verbose_name=_("raised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs_raised",
    )
    raised_on = models.DateField(_("raised on"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RAISED)
    priority = models.PositiveSmallIntegerField(_("priority rank"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_needs",
    )

    class Meta:
        ordering = ["community", "priority", "-raised_on"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        VOTING = "voting", _("Voting")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Rule(models.TextChoices):
        APPROVAL = "approval", _("Approval voting")
        POINTS = "points", _("Point allocation")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.PLANNED: {State.VOTING, State.CANCELLED},
        State.VOTING: {State.CLOSED, State.CANCELLED},
        State.CLOSED: set(),
        State.CANCELLED: set(),
    }

    community = models.ForeignKey(
        Organization, verbose_name=_("community"), on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PLANNED)
    rule = models.CharField(_("voting rule"), max_length=20, choices=Rule.choices, default=Rule.APPROVAL)
    approvals_per_participant = models.PositiveSmallIntegerField(_("approvals per participant"), default=3)
    points_per_participant = models.PositiveSmallIntegerField(_("points per participant"), default=10)
    quorum = models.PositiveSmallIntegerField(
        _("quorum"), default=5, help_text=_("Votes needed for the result to stand.")
    )
    priorities = models.PositiveSmallIntegerField(_("needs to prioritise"), default=3)
    minutes = models.TextField(_("minutes"), blank=True)
    agenda = models.ManyToManyField(Need, verbose_name=_("agenda"), related_name="meetings", blank=True)
    # Frozen when the meeting closes: [{"need", "points", "voters", "rank"}], best first.
    result = models.JSONField(_("result"), default=list, blank=True)
    ballots_cast = models.PositiveSmallIntegerField(_("ballots cast"), null=True, blank=True)
    quorate = models.BooleanField(_("quorum met"), null=True, blank=True)

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("consultation meeting")
        verbose_name_plural = _("consultation meetings")

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    class Kind(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        REPRESENTATIVE = "representative", _("Residents' representative")
        AGENCY_GUEST = "agency", _("Agency guest")
        STREET_GUEST = "street", _("Street guest")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="participants"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="meeting_participations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RESIDENT)
    has_voted = models.BooleanField(_("has voted"), default=False)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="one_seat_per_person")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.meeting}"


class Vote(models.Model):
    """One need approved (or given points) by one participant; a ballot is the set of a participant's votes."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(
        Participant, verbose_name=_("participant"), on_delete=models.CASCADE, related_name="votes"
    )
    need = models.ForeignKey(Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="votes")
    points = models.PositiveSmallIntegerField(_("points"), default=1)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["participant", "need"], name="one_vote_per_need")]

    def __str__(self) -> str:
        return f"{self.participant} → {self.need} ({self.points})"
