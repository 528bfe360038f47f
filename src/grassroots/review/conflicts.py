"""Conflict-of-interest screening: who may not review whom, and why (plain data, no Django).

An expert may not review an application when a declared affiliation or a role found in the data
ties them to its lead agency, one of its partner communities, the street office of those
communities or the issuing office; when they work for a competing agency in the same call; or when
they worked with the applying agency within the look-back window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from grassroots.core.messages import Message, gettext_noop

AGENCY_TIE = gettext_noop("%(tie)s of the applying agency %(org)s")
COMMUNITY_TIE = gettext_noop("%(tie)s of partner community %(org)s")
STREET_TIE = gettext_noop("%(tie)s of the street office %(org)s, which oversees a partner community")
ISSUER_TIE = gettext_noop("%(tie)s of the issuing office %(org)s")
COMPETITOR = gettext_noop("works for %(org)s, which competes in the same call")
WORKED_WITH = gettext_noop("worked with the applying agency %(org)s in the last %(years)s years")


@dataclass(frozen=True)
class Tie:
    """One link of an expert to an organization: a declared affiliation or a membership."""

    organization: int
    name: str
    kind: str  # employee, board, member, collaborator (declared) or a membership role
    until: date | None = None
    declared: bool = False


@dataclass(frozen=True)
class Case:
    """What the screening needs to know about one application."""

    lead_agency: int
    lead_name: str
    communities: frozenset[int]
    streets: frozenset[int]
    issuer: int
    competitors: frozenset[int]  # other agencies leading applications in the same call
    past_teams: frozenset[int] = field(default_factory=frozenset)  # experts' people who were on this agency's teams


#: How a tie is named in a reason (marked for translation; `render_message` translates parameters too).
TIE_LABELS = {
    "employee": gettext_noop("employee"),
    "board": gettext_noop("board member"),
    "member": gettext_noop("member"),
    "collaborator": gettext_noop("collaborator"),
    "manager": gettext_noop("manager"),
    "social_worker": gettext_noop("social worker"),
    "board_member": gettext_noop("board member"),
    "officer": gettext_noop("officer"),
    "community_worker": gettext_noop("community worker"),
    "evaluator": gettext_noop("evaluator"),
    "resident": gettext_noop("resident"),
}

STAFF = {"employee", "board", "manager", "social_worker", "board_member", "officer", "community_worker", "evaluator"}
MEMBER = STAFF | {"member", "resident"}


def reasons(ties: list[Tie], case: Case, *, person: int, today: date, years: int) -> list[Message]:
    """Every reason this expert may not review this application (empty: no conflict)."""
    since = today - timedelta(days=365 * years)
    found: list[Message] = []
    for tie in ties:
        current = tie.until is None or tie.until >= today
        recent = tie.until is None or tie.until >= since
        label = TIE_LABELS.get(tie.kind, tie.kind.replace("_", " "))
        if tie.organization == case.lead_agency:
            if tie.kind == "collaborator" or not current:
                if recent:
                    found.append(Message(WORKED_WITH, org=tie.name, years=years))
            elif tie.kind in MEMBER:
                found.append(Message(AGENCY_TIE, tie=label, org=tie.name))
        elif tie.organization in case.communities and current and tie.kind in MEMBER:
            found.append(Message(COMMUNITY_TIE, tie=label, org=tie.name))
        elif tie.organization in case.streets and current and tie.kind in STAFF:
            found.append(Message(STREET_TIE, tie=label, org=tie.name))
        elif tie.organization == case.issuer and current and tie.kind in STAFF:
            found.append(Message(ISSUER_TIE, tie=label, org=tie.name))
        elif tie.organization in case.competitors and current and tie.kind in STAFF:
            found.append(Message(COMPETITOR, org=tie.name))
    if person in case.past_teams:
        found.append(Message(WORKED_WITH, org=case.lead_name, years=years))
    unique: dict[str, Message] = {str(m): m for m in found}
    return [unique[k] for k in sorted(unique)]
