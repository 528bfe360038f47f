"""The home page's answer to "what is mine": one section per role the user holds, built from the apps' selectors.

Every list comes from an app selector that already applies that app's visibility rule, so the home
page can never show more than the detail pages would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from grassroots.applications import selectors as applications
from grassroots.contracts import selectors as contracts
from grassroots.core.permissions import is_staff
from grassroots.delivery import selectors as delivery
from grassroots.evaluation import selectors as evaluation
from grassroots.funding import selectors as funding
from grassroots.governance import selectors as governance
from grassroots.needs import selectors as needs
from grassroots.orgs.models import Membership, Organization, OrgKind, Role
from grassroots.review import selectors as review

from .navigation import account_of


@dataclass
class Section:
    """One block of the home page: `kind` names its template (web/sections/<kind>.html)."""

    kind: str
    role: str
    org: Organization | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramLine:
    """A department's program with what it committed and its indicator system (None: the default)."""

    row: Any  # funding.selectors.ProgramRow
    system: Any  # evaluation.models.IndicatorSystem | None

    @property
    def program(self) -> Any:
        return self.row.program

    @property
    def committed(self) -> Any:
        return self.row.committed

    @property
    def left(self) -> Any:
        return self.row.left


def _programs(department: Organization) -> list[ProgramLine]:
    rows = funding.programs_of(department)
    systems = evaluation.systems_of([row.program for row in rows])
    return [ProgramLine(row, systems.get(row.program.pk)) for row in rows]


def _rectifications(findings: Any) -> dict[str, Any]:
    """Rectifications as a section lists them: the first fifty, and which of them are overdue."""
    listed = list(findings[:50])
    return {"rectifications": listed, "overdue": {f.pk for f in evaluation.overdue(listed)}}


def _alerts(contracts_seen: Any) -> list[tuple[Any, list[Any]]]:
    """Running contracts that need attention today, with their alerts (the dashboard's first question)."""
    listed = list(contracts_seen)
    found = delivery.alerts_for(listed)
    return [(c, found[c.pk]) for c in listed if c.pk in found]


def _section(user: Any, membership: Membership) -> Section | None:
    org = membership.organization
    role = membership.get_role_display()
    if membership.role == Role.OFFICER and org.kind == OrgKind.DEPARTMENT:
        return Section(
            "department_officer",
            role,
            org,
            {
                "programs": _programs(org),
                "calls": funding.calls_of_department(user, org),
                "contracts": contracts.in_department(user, org),
            },
        )
    if membership.role == Role.OFFICER and org.kind == OrgKind.STREET:
        # The contracts it purchased are read once: the alerts, the evaluations awaiting acceptance and the
        # rectifications to follow are all about them (building the visibility rule again costs more than the rows).
        purchased = list(contracts.purchased_by(user, org))
        ids = [c.pk for c in purchased]
        return Section(
            "street_officer",
            role,
            org,
            {
                "envelopes": funding.envelopes_of(org),
                "calls": funding.calls_issued_by(user, org),
                "applications": applications.to_calls_of(user, org),
                "contracts": purchased,
                "alerts": _alerts(purchased),
                "prioritised": needs.prioritised_in(org),
                "awaiting": evaluation.awaiting_acceptance_on(ids),
                **_rectifications(evaluation.rectifications_on(ids)),
            },
        )
    if membership.role == Role.COMMUNITY_WORKER:
        return Section(
            "community_worker",
            role,
            org,
            {
                "needs": needs.open_needs(org),
                "meetings": needs.running(org),
                "applications": applications.partnered_by(user, org),
                "contracts": contracts.partnered_by(user, org),
            },
        )
    if membership.role in (Role.MANAGER, Role.BOARD_MEMBER) and org.kind == OrgKind.AGENCY:
        own = list(contracts.of_agency(user, org))
        return Section(
            "agency_manager",
            role,
            org,
            {
                "open_calls": funding.open_calls(user),
                "applications": applications.led_by(user, org),
                "contracts": own,
                "alerts": _alerts(own),
                **_rectifications(evaluation.rectifications_of(org)),
                "performance": evaluation.latest_performance(org),
            },
        )
    if membership.role == Role.SOCIAL_WORKER:
        person = membership.person
        return Section(
            "social_worker",
            role,
            org,
            {"contracts": contracts.of_agency(user, org), "records": delivery.recent_records_of(person)},
        )
    if org.kind == OrgKind.EVALUATOR:
        # Its evaluations are read once; its surveys and the rectifications it follows belong to them.
        assigned = list(evaluation.of_evaluator(user, org))
        ids = [e.pk for e in assigned]
        return Section(
            "evaluator",
            role,
            org,
            {
                "evaluations": assigned,
                "surveys": evaluation.surveys_on(ids)[:20],
                **_rectifications(evaluation.rectifications_of_evaluations(ids)),
            },
        )
    if membership.role == Role.RESIDENT:
        return Section("resident", role, org, _resident(user, org))
    return None


def _resident(user: Any, community: Organization) -> dict[str, Any]:
    """A resident's view of their community: its needs, the needs they raised, the meetings they may vote in."""
    return {
        "needs": needs.of_community(community),
        "mine": needs.raised_by_person(account_of(user).person, community),
        "to_vote": needs.to_vote(user, community),
        "may_raise": needs.may_raise(user, community),
    }


def home_sections(user: Any) -> list[Section]:
    """The sections of `user`'s home page, in the order of their memberships, then expert and residence."""
    sections: list[Section] = []
    account = account_of(user)  # shared with the header and the navigation
    resident_of: set[int] = set()
    for membership in account.memberships:
        section = _section(user, membership)
        if section is not None:
            sections.append(section)
            if section.kind == "resident" and section.org is not None:
                resident_of.add(section.org.pk)
    expert = account.expert
    if expert is not None:
        sections.append(Section("expert", str(expert._meta.verbose_name), None, {"reviews": review.assigned_to(user)}))
    person = account.person
    if person is not None and person.home_community is not None and person.home_community.pk not in resident_of:
        community = person.home_community
        sections.append(Section("resident", str(Role.RESIDENT.label), community, _resident(user, community)))
    if not sections and not is_staff(user) and governance.is_researcher(user):
        sections.append(Section("researcher", _("Researcher"), None, {"dashboards": governance.dashboards_for(user)}))
    if is_staff(user) and not sections:
        sections.append(
            Section(
                "staff",
                "",
                None,
                {"open_calls": funding.open_calls(user), "contracts": contracts.listed(user)[:20]},
            )
        )
    return sections
