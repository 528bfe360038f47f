"""What the needs and meeting pages' forms post, read into the plain arguments of `needs.services`.

The forms are plain HTML; these readers take the POST data as it comes, turn what cannot be read
(a number that is not a number, a date that is not a date) into a `RuleViolation` naming the field, and
leave every rule of the mechanism to the services.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation
from grassroots.core.keys import ids
from grassroots.funding.models import ServiceCategory
from grassroots.orgs.models import Person

from .models import Meeting, Need, Participant

#: The most needs, people or points one form is read for.


def whole(post: Mapping[str, Any], name: str, label: str, *, default: int | None = None) -> int:
    """A whole number typed into `name`; empty gives `default` (or is refused when there is none)."""
    text = str(post.get(name, "")).strip()
    if not text and default is not None:
        return default
    try:
        return int(text)
    except ValueError:
        raise RuleViolation(_("%(field)s: give a whole number.") % {"field": label}) from None


def day(post: Mapping[str, Any], name: str, label: str) -> date:
    try:
        return date.fromisoformat(str(post.get(name, "")).strip())
    except ValueError:
        raise RuleViolation(_("%(field)s: give a date (YYYY-MM-DD).") % {"field": label}) from None


# --- raising a need -------------------------------------------------------------------------------------------


def need_from(post: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `services.raise_need` but the community and the day."""
    category = ServiceCategory.objects.filter(pk__in=ids([post.get("category", "")])).first()
    if category is None:
        raise RuleViolation(_("Choose the service category of the need."))
    return {
        "title": str(post.get("title", "")),
        "title_en": str(post.get("title_en", "")).strip(),
        "description": str(post.get("description", "")).strip(),
        "category": category,
        "people_affected": whole(post, "people_affected", _("People affected"), default=0),
        "location": str(post.get("location", "")).strip(),
    }


# --- planning a meeting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """A row of the plan form's participant table."""

    person: Person
    checked: bool
    kind: str


def plan_typed(post: Any, residents: Iterable[Person]) -> dict[str, Any]:
    """What the plan form shows: what was posted, else the defaults (every resident seated)."""
    if post is None:
        return {
            "title": "",
            "held_on": "",
            "rule": Meeting.Rule.APPROVAL,
            "approvals": "3",
            "points": "10",
            "quorum": "5",
            "priorities": "3",
            "agenda": set(),
            "seats": [Seat(p, True, Participant.Kind.RESIDENT) for p in residents],
            "guests": set(),
        }
    seated = set(ids(post.getlist("seat")))
    return {
        "title": str(post.get("title", "")),
        "held_on": str(post.get("held_on", "")),
        "rule": str(post.get("rule", "")),
        "approvals": str(post.get("approvals", "")),
        "points": str(post.get("points", "")),
        "quorum": str(post.get("quorum", "")),
        "priorities": str(post.get("priorities", "")),
        "agenda": set(ids(post.getlist("agenda"))),
        "seats": [Seat(p, p.pk in seated, str(post.get(f"kind-{p.pk}", Participant.Kind.RESIDENT))) for p in residents],
        "guests": set(ids(post.getlist("street_guest")) + ids(post.getlist("agency_guest"))),
    }


def meeting_from(post: Any) -> dict[str, Any]:
    """The keyword arguments of `services.plan_meeting` but the community."""
    agenda = list(Need.objects.filter(pk__in=ids(post.getlist("agenda"))).order_by("pk"))
    seated = ids(post.getlist("seat"))
    street = ids(post.getlist("street_guest"))
    agency = ids(post.getlist("agency_guest"))
    people = Person.objects.in_bulk([*seated, *street, *agency])
    seats: list[tuple[Person, str]] = []
    for pk in seated:
        kind = str(post.get(f"kind-{pk}", Participant.Kind.RESIDENT))
        if pk in people:
            seats.append((people[pk], kind))
    seats += [(people[pk], Participant.Kind.STREET_GUEST) for pk in street if pk in people]
    seats += [(people[pk], Participant.Kind.AGENCY_GUEST) for pk in agency if pk in people]
    return {
        "title": str(post.get("title", "")),
        "held_on": day(post, "held_on", _("Date")),
        "rule": str(post.get("rule", "")),
        "approvals": whole(post, "approvals", _("Approvals per participant"), default=3),
        "points": whole(post, "points", _("Points per participant"), default=10),
        "quorum": whole(post, "quorum", _("Quorum")),
        "priorities": whole(post, "priorities", _("Needs to prioritise")),
        "agenda": agenda,
        "participants": seats,
    }


# --- a ballot ------------------------------------------------------------------------------------------------


def ballot_from(post: Any, meeting: Meeting, agenda: Iterable[Need]) -> dict[int, int]:
    """{need id: points} as `services.cast_ballot` takes it: the approved needs (one point each), or the
    points typed for each agenda need (empty and 0 leave the need out)."""
    if meeting.rule == Meeting.Rule.APPROVAL:
        return dict.fromkeys(ids(post.getlist("approve")), 1)
    ballot = {}
    for need in agenda:
        given = whole(post, f"points-{need.pk}", _("Points for “%(n)s”") % {"n": need}, default=0)
        if given < 0:
            raise RuleViolation(_("Points cannot be negative."))
        if given:
            ballot[need.pk] = given
    return ballot


@dataclass(frozen=True)
class BallotRow:
    need: Need
    checked: bool
    points: str


def ballot_rows(agenda: Iterable[Need], post: Any = None) -> list[BallotRow]:
    """The ballot form's rows, with what was typed when a ballot is shown again."""
    approved = set(ids(post.getlist("approve"))) if post is not None else set()
    return [
        BallotRow(n, n.pk in approved, str(post.get(f"points-{n.pk}", "")) if post is not None else "") for n in agenda
    ]
