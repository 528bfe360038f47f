"""Reads of awards: the list a call publicises (公示) and then decides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from grassroots.applications.models import Application
from grassroots.core.money import total
from grassroots.funding.models import Call
from grassroots.orgs.selectors import agencies_staffed_by

from .models import Award, AwardList, Objection


def public_list(call: Call) -> AwardList | None:
    """The award list under publicity or decided: public by nature, so everyone may object or check it."""
    return (
        AwardList.objects.filter(call=call, state__in=[AwardList.State.PUBLICITY, AwardList.State.DECIDED])
        .order_by("-pk")
        .first()
    )


def awards_on(award_list: AwardList) -> list[Award]:
    return list(
        award_list.awards.exclude(state=Award.State.REVOKED)
        .select_related("application", "application__lead_agency")
        .order_by("application__rank", "application__reference")
    )


# --- the awards page of a call ----------------------------------------------------------------------------


def current_list(call: Call) -> AwardList | None:
    """The call's award list in force: proposed, in publicity or decided (a withdrawn one gives way)."""
    return AwardList.objects.filter(call=call).exclude(state=AwardList.State.WITHDRAWN).order_by("-pk").first()


def withdrawn_lists(call: Call) -> list[AwardList]:
    return list(AwardList.objects.filter(call=call, state=AwardList.State.WITHDRAWN).order_by("-pk"))


def ranked(call: Call) -> list[Application]:
    """The applications the panel ranked, in rank order: what an allocation chooses from."""
    return list(
        Application.objects.filter(call=call, rank__isnull=False)
        .select_related("lead_agency", "category")
        .order_by("rank", "reference")
    )


@dataclass(frozen=True)
class LeftOut:
    """A ranked application the list does not fund, with the stored reason (a message in any language)."""

    application: Application
    reason: Any


@dataclass
class Outcome:
    """An award list as its page shows it: every award (revoked ones too) and the applications left out."""

    award_list: AwardList
    awards: list[Award]
    left_out: list[LeftOut]

    @property
    def live_total(self) -> Decimal:
        return total(a.amount for a in self.awards if a.state != Award.State.REVOKED)

    @property
    def left(self) -> Decimal:
        """What the call's budget keeps after the awards in force."""
        return self.award_list.call.budget - self.live_total


def outcome(award_list: AwardList, applications: list[Application]) -> Outcome:
    """`award_list` with the reason for each of `applications` (the ranked ones) it does not fund."""
    awards = list(
        award_list.awards.select_related("application", "application__lead_agency", "application__category").order_by(
            F("application__rank").asc(nulls_last=True), "application__reference"
        )
    )
    funded = {a.application_id for a in awards}
    reasons = award_list.reasons or {}
    left_out = [LeftOut(a, reasons.get(a.reference, "")) for a in applications if a.pk not in funded]
    return Outcome(award_list, awards, left_out)


def objections_on(award_list: AwardList) -> QuerySet[Objection]:
    return award_list.objections.select_related("raised_by", "award__application").order_by("raised_at", "pk")


def objections_seen_by(user: Any, award_list: AwardList, *, oversees: bool) -> list[Objection]:
    """Every objection for the call's officers; anyone else sees the ones they raised, with the answers."""
    objections = objections_on(award_list)
    if not oversees:
        objections = objections.filter(raised_by__user=user)
    return list(objections)


def own_applications(user: Any, call: Call) -> set[int]:
    """The call's applications led by an agency `user` works for: their reasons are theirs to read."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Application.objects.filter(call=call, lead_agency__in=agencies_staffed_by(user)).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class InPublicity:
    award_list: AwardList
    open_objections: int


def in_publicity(call_ids: Iterable[int]) -> list[InPublicity]:
    """Award lists under publicity on the given calls, with their open objections counted: the issuer answers
    objections, the department decides once the period is over and none is open."""
    rows = (
        AwardList.objects.filter(call_id__in=list(call_ids), state=AwardList.State.PUBLICITY)
        .annotate(open_objections=Count("objections", filter=Q(objections__state=Objection.State.OPEN)))
        .select_related("call")
        .order_by("publicity_until", "pk")
    )
    return [InPublicity(row, row.open_objections) for row in rows]


def calls_with_list(call_ids: Iterable[int]) -> set[int]:
    """Which of the calls already have an award list in force (proposed, in publicity or decided)."""
    return set(
        AwardList.objects.filter(call_id__in=list(call_ids))
        .exclude(state=AwardList.State.WITHDRAWN)
        .values_list("call_id", flat=True)
    )
