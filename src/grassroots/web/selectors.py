"""The home page's answer to "what is mine": one section per role the user holds, built from the apps' selectors.

Every list comes from an app selector that already applies that app's visibility rule, so the home
page can never show more than the detail pages would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grassroots.applications import selectors as applications
from grassroots.applications.models import Application
from grassroots.awards import selectors as awards
from grassroots.contracts import selectors as contracts
from grassroots.contracts.models import Contract
from grassroots.core.permissions import is_staff
from grassroots.delivery import selectors as delivery
from grassroots.evaluation import selectors as evaluation
from grassroots.evaluation.models import Evaluation
from grassroots.funding import selectors as funding
from grassroots.funding.models import Call
from grassroots.governance import selectors as governance
from grassroots.needs import selectors as needs
from grassroots.orgs.models import Membership, Organization, OrgKind, Role
from grassroots.review import selectors as review

from .navigation import account_of
from .templatetags.web_tags import cny, contract_title, tr


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


@dataclass(frozen=True)
class Task:
    """One thing waiting for the user, first on their home page: what to do, where, and by when."""

    text: str
    url: str
    due: date | None = None
    late: bool = False


def _day(value: date) -> str:
    return date_format(value)


def _contract(contract: Contract) -> str:
    return f"{contract_title(contract)} ({contract.number})"


def _call_link(call: Call, name: str, anchor: str = "") -> str:
    return reverse(name, args=[call.pk]) + anchor


def _department_tasks(department: Organization, today: date) -> list[Task]:
    """Award lists whose publicity is over and waits for the decision, and tranches to pay."""
    tasks = []
    calls = Call.objects.filter(program__department=department).values_list("pk", flat=True)
    for publicised in awards.in_publicity(calls):
        award_list = publicised.award_list
        until = award_list.publicity_until
        if publicised.open_objections or (until is not None and until > today):
            continue  # the issuer still answers objections, or the public still may object
        tasks.append(
            Task(
                _("Decide the awards of “%(call)s”") % {"call": tr(award_list.call, "title")},
                _call_link(award_list.call, "call-awards", "#decide"),
                until,
            )
        )
    funded = Contract.objects.filter(award__application__call__program__department=department).values_list(
        "pk", flat=True
    )
    tasks += _tranche_tasks(contracts.payable_tranches(funded))
    return tasks


def _tranche_tasks(tranches: Iterable[Any]) -> list[Task]:
    return [
        Task(
            _("Pay tranche %(n)s of %(contract)s: %(amount)s")
            % {"n": t.position, "contract": _contract(t.contract), "amount": cny(t.payable)},
            reverse("contract-detail", args=[t.contract_id]) + "#tranches",
        )
        for t in tranches
    ]


def _street_tasks(street: Organization, purchased: list[Contract], today: date) -> list[Task]:
    """The calls it runs at each step that waits for it, then its contracts' reports, changes and tranches."""
    tasks = []
    calls = list(Call.objects.filter(issuer=street).exclude(state__in=[Call.State.DECIDED, Call.State.CANCELLED]))
    reviewing = [c.pk for c in calls if c.state == Call.State.REVIEW]
    progress = review.progress_of(reviewing) if reviewing else {}
    awarding = [c.pk for c in calls if c.state == Call.State.AWARDING]
    listed = awards.calls_with_list(awarding) if awarding else set()
    objections = {p.award_list.call_id: p.open_objections for p in awards.in_publicity(awarding)} if awarding else {}
    for call in sorted(calls, key=lambda c: (c.closes_on, c.pk)):
        title = tr(call, "title")
        if call.state == Call.State.OPEN and call.closes_on < today:
            text = _("Submissions to “%(call)s” closed on %(day)s: start the review") % {
                "call": title,
                "day": _day(call.closes_on),
            }
            tasks.append(Task(text, _call_link(call, "call-review", "#start"), call.closes_on, late=True))
        elif call.state == Call.State.REVIEW:
            done, active = progress.get(call.pk, (0, 0))
            if active and done == active:
                text = _("Every review of “%(call)s” is in: close the panel") % {"call": title}
            else:
                text = _("“%(call)s”: %(done)s of %(active)s reviews submitted") % {
                    "call": title,
                    "done": done,
                    "active": active,
                }
            tasks.append(Task(text, _call_link(call, "call-review", "#progress")))
        elif call.state == Call.State.AWARDING and call.pk not in listed:
            text = _("Propose the awards of “%(call)s”") % {"call": title}
            tasks.append(Task(text, _call_link(call, "call-awards", "#allocate")))
        elif objections.get(call.pk):
            n = objections[call.pk]
            text = ngettext(
                "Answer %(n)s objection to the awards of “%(call)s”",
                "Answer %(n)s objections to the awards of “%(call)s”",
                n,
            ) % {"n": n, "call": title}
            tasks.append(Task(text, _call_link(call, "call-awards", "#objections"), late=True))
    ids = [c.pk for c in purchased]
    for m in contracts.submitted_milestones(ids):
        text = _("Review the %(kind)s milestone report of %(contract)s") % {
            "kind": m.get_kind_display().lower(),
            "contract": _contract(m.contract),
        }
        tasks.append(Task(text, reverse("contract-detail", args=[m.contract_id]) + "#milestones"))
    for change in contracts.changes_to_decide(ids):
        text = _("Decide the request on %(contract)s: %(kind)s") % {
            "kind": change.get_kind_display().lower(),
            "contract": _contract(change.contract),
        }
        tasks.append(Task(text, reverse("contract-detail", args=[change.contract_id]) + "#changes"))
    return tasks + _tranche_tasks(contracts.payable_tranches(ids))


def _agency_tasks(drafts: Iterable[Application], own: list[Contract], today: date) -> list[Task]:
    """Drafts to hand in before their calls close, contracts to countersign, milestone reports to write."""
    tasks = []
    for a in drafts:
        if a.state != Application.State.DRAFT or a.call.state != Call.State.OPEN:
            continue
        text = _("Submit “%(application)s” before %(day)s") % {
            "application": tr(a, "title"),
            "day": _day(a.call.closes_on),
        }
        late = a.call.closes_on < today
        tasks.append(Task(text, reverse("application-detail", args=[a.pk]), a.call.closes_on, late))
    due = contracts.waiting_on_agency(own, today)
    for c in due.to_sign:
        tasks.append(
            Task(
                _("Countersign %(contract)s") % {"contract": _contract(c)},
                reverse("contract-detail", args=[c.pk]) + "#actions",
            )
        )
    for m in due.milestones:
        values = {"kind": m.get_kind_display().lower(), "contract": _contract(m.contract)}
        if m.state == m.State.REJECTED:
            text = _("Report the %(kind)s milestone of %(contract)s again: it was not accepted") % values
        else:
            text = _("Report the %(kind)s milestone of %(contract)s") % values
        url = reverse("contract-detail", args=[m.contract_id]) + "#milestone-report"
        tasks.append(Task(text, url, m.due_on, late=m.due_on < today))
    return tasks


def _evaluator_tasks(assigned: Iterable[Evaluation], today: date) -> list[Task]:
    tasks = []
    for e in assigned:
        if e.state != Evaluation.State.ASSIGNED:
            continue
        text = _("Score the %(kind)s evaluation of %(contract)s") % {
            "kind": e.get_kind_display().lower(),
            "contract": _contract(e.contract),
        }
        late = e.due_on is not None and e.due_on < today
        tasks.append(Task(text, reverse("evaluation-detail", args=[e.pk]) + "#scoring", e.due_on, late))
    return tasks


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
    today = timezone.localdate()
    role = membership.get_role_display()
    if membership.role == Role.OFFICER and org.kind == OrgKind.DEPARTMENT:
        return Section(
            "department_officer",
            role,
            org,
            {
                "tasks": _department_tasks(org, today),
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
                "tasks": _street_tasks(org, purchased, today),
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
        led = list(applications.led_by(user, org))
        return Section(
            "agency_manager",
            role,
            org,
            {
                "tasks": _agency_tasks(led, own, today),
                "open_calls": funding.open_calls(user),
                "applications": led,
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
            {
                "contracts": contracts.of_agency(user, org),
                "recording": delivery.recording_contracts(user).filter(agency=org).select_related("award__application"),
                "records": delivery.recent_records_of(person),
            },
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
                "tasks": _evaluator_tasks(assigned, today),
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
        reviews = list(review.assigned_to(user))
        to_score = [
            Task(
                _("Score “%(application)s” for “%(call)s”")
                % {"application": tr(r.application, "title"), "call": tr(r.application.call, "title")},
                reverse("review-detail", args=[r.pk]),
            )
            for r in reviews
            if r.state == r.State.ASSIGNED and r.application.call.state == Call.State.REVIEW
        ]
        sections.append(
            Section("expert", str(expert._meta.verbose_name), None, {"tasks": to_score, "reviews": reviews})
        )
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
