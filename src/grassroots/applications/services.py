"""Writing, submitting and withdrawing joint applications, and recording what review decides of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import message_data
from grassroots.core.money import MAX_AMOUNT, money, total
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.funding.models import Call, ServiceCategory
from grassroots.needs.models import Need
from grassroots.orgs.models import Certificate, Organization, OrgKind, Person, Role
from grassroots.orgs.selectors import acts_for, communities_of, social_workers_of

from .models import (
    Application,
    BudgetHead,
    BudgetLine,
    FundSource,
    Indicator,
    IndicatorKind,
    MatchingFund,
    Measure,
    ServiceKind,
    TeamMember,
)


def _require_manager(actor: Any, agency: Organization) -> None:
    require(
        acts_for(actor, agency, Role.MANAGER),
        _("Only a manager of %(org)s may write its applications.") % {"org": agency.local_name},
    )


def _next_reference(call: Call) -> str:
    count = Application.objects.filter(call=call).count()
    return f"{call.reference}-A{count + 1:03d}"


@transaction.atomic
def create_draft(
    actor: Any,
    *,
    call: Call,
    lead_agency: Organization,
    title: str,
    category: ServiceCategory,
    communities: Sequence[Organization],
    team: Sequence[tuple[Person, str]],
    indicators: Sequence[dict[str, Any]],
    budget_lines: Sequence[dict[str, Any]],
    matching_funds: Sequence[dict[str, Any]] = (),
    needs: Iterable[Any] = (),
    summary: str = "",
    objectives: str = "",
    title_en: str = "",
    term_months: int = 12,
    on: date | None = None,
) -> Application:
    """A draft joint application. The request is the budget total less the matching funds.

    `on` is the day it is written (today unless recording the past): a call takes drafts only between the
    day it opens and the day it closes."""
    _require_manager(actor, lead_agency)
    if lead_agency.kind != OrgKind.AGENCY:
        raise RuleViolation(_("Only a social-work agency leads an application."))
    parts = _checked_parts(
        call,
        lead_agency,
        title=title,
        category=category,
        communities=communities,
        team=team,
        indicators=indicators,
        budget_lines=budget_lines,
        matching_funds=matching_funds,
        needs=needs,
        term_months=term_months,
        on=on,
    )
    application = Application.objects.create(
        call=call,
        lead_agency=lead_agency,
        reference=_next_reference(call),
        title=title,
        title_en=title_en,
        summary=summary,
        category=category,
        objectives=objectives,
        term_months=term_months,
        requested=parts.requested,
    )
    _write_parts(application, parts)
    record(actor, "application.drafted", application, after={"call": call.pk, "requested": parts.requested})
    return application


@transaction.atomic
def update_draft(
    actor: Any,
    application: Application,
    *,
    title: str,
    category: ServiceCategory,
    communities: Sequence[Organization],
    team: Sequence[tuple[Person, str]],
    indicators: Sequence[dict[str, Any]],
    budget_lines: Sequence[dict[str, Any]],
    matching_funds: Sequence[dict[str, Any]] = (),
    needs: Iterable[Any] = (),
    summary: str = "",
    objectives: str = "",
    title_en: str = "",
    term_months: int = 12,
    on: date | None = None,
) -> Application:
    """Rewrite a draft as a whole, under the same checks as `create_draft`; the call and lead agency stay.

    The team, indicators, budget lines and matching funds are replaced by those given, the request is
    computed again, and the change is audited with the request before and after.
    """
    application = Application.objects.select_for_update().select_related("call", "lead_agency").get(pk=application.pk)
    _require_manager(actor, application.lead_agency)
    if application.state != Application.State.DRAFT:
        raise RuleViolation(_("Only a draft application is changed."))
    parts = _checked_parts(
        application.call,
        application.lead_agency,
        title=title,
        category=category,
        communities=communities,
        team=team,
        indicators=indicators,
        budget_lines=budget_lines,
        matching_funds=matching_funds,
        needs=needs,
        term_months=term_months,
        on=on,
    )
    before = {"requested": application.requested, "title": application.title, "term_months": application.term_months}
    application.title = title
    application.title_en = title_en
    application.summary = summary
    application.category = category
    application.objectives = objectives
    application.term_months = term_months
    application.requested = parts.requested
    application.save(
        update_fields=["title", "title_en", "summary", "category", "objectives", "term_months", "requested"]
    )
    application.team.all().delete()
    application.budget_lines.all().delete()
    application.matching_funds.all().delete()
    application.indicators.all().delete()
    _write_parts(application, parts)
    record(
        actor,
        "application.updated",
        application,
        before=before,
        after={"requested": parts.requested, "title": title, "term_months": term_months},
    )
    return application


@dataclass(frozen=True)
class _Parts:
    """What a draft holds beside its own columns, checked and normalised."""

    communities: list[Organization]
    needs: list[Any]
    team: list[tuple[Person, str]]
    lines: list[tuple[str, str, Decimal]]
    matching: list[tuple[str, str, Decimal]]
    indicators: list[dict[str, Any]]
    requested: Decimal


def _checked_parts(
    call: Call,
    lead_agency: Organization,
    *,
    title: str,
    category: ServiceCategory,
    communities: Sequence[Organization],
    team: Sequence[tuple[Person, str]],
    indicators: Sequence[dict[str, Any]],
    budget_lines: Sequence[dict[str, Any]],
    matching_funds: Sequence[dict[str, Any]],
    needs: Iterable[Any],
    term_months: int,
    on: date | None,
) -> _Parts:
    """Every check a draft passes before anything is written (creating or rewriting it)."""
    if call.state != Call.State.OPEN:
        raise RuleViolation(_("The call “%(c)s” is not open for applications.") % {"c": call})
    _require_within_window(call, on)
    if not call.categories.filter(pk=category.pk).exists():
        raise RuleViolation(_("The call does not fund the category %(c)s.") % {"c": category})
    if not title.strip():
        raise RuleViolation(_("An application needs a title."))
    if not 1 <= term_months <= call.program.max_term_months:
        raise RuleViolation(_("The term must lie between 1 and %(m)d months.") % {"m": call.program.max_term_months})
    area = set(communities_of(call.issuer).values_list("pk", flat=True))
    for community in communities:
        if community.pk not in area:
            raise RuleViolation(_("%(c)s is not a community of %(i)s.") % {"c": community, "i": call.issuer})
    needs = list(needs)
    _check_needs(needs, communities)
    workers = set(social_workers_of(lead_agency).values_list("pk", flat=True))
    for person, role in team:
        if person.pk not in workers:
            raise RuleViolation(_("%(p)s is not a social worker of %(a)s.") % {"p": person, "a": lead_agency})
        if role not in TeamMember.Role.values:
            raise RuleViolation(_("Unknown team role %(r)s.") % {"r": role})
    if len({person.pk for person, _r in team}) != len(team):
        raise RuleViolation(_("Name each member of the team once."))
    lines = [(str(line["head"]), str(line["description"]), money(line["amount"])) for line in budget_lines]
    for head, _d, amount in lines:
        if head not in BudgetHead.values:
            raise RuleViolation(_("Unknown budget head %(h)s.") % {"h": head})
        if amount <= 0:
            raise RuleViolation(_("Every budget line needs a positive amount."))
    matching = [(str(m["source"]), str(m.get("provider", "")), money(m["amount"])) for m in matching_funds]
    for source, _p, amount in matching:
        if source not in FundSource.values or amount <= 0:
            raise RuleViolation(_("Each matching fund needs a known source and a positive amount."))
    if not lines:
        raise RuleViolation(_("Add at least one budget line: what the money will pay for."))
    requested = total(a for *_x, a in lines) - total(a for *_x, a in matching)
    if requested > MAX_AMOUNT:
        raise RuleViolation(_("The amount %(v)s is too large.") % {"v": requested})
    if requested <= 0:
        raise RuleViolation(_("Matching funds cover the whole budget: nothing is requested."))
    checked_indicators = []
    for item in indicators:
        kind = item.get("kind", IndicatorKind.OUTPUT)
        measure = item.get("measure", Measure.SESSIONS)
        service_kind = item.get("service_kind", "")
        if (
            kind not in IndicatorKind.values
            or measure not in Measure.values
            or (service_kind and service_kind not in ServiceKind.values)
        ):
            raise RuleViolation(_("An indicator has an unknown kind or measure."))
        if not str(item.get("name", "")).strip():
            raise RuleViolation(_("Every indicator needs a name."))
        try:
            target = Decimal(str(item["target"]))
        except ArithmeticError:
            raise RuleViolation(_("Every indicator needs a positive target.")) from None
        if not target.is_finite() or target <= 0:
            raise RuleViolation(_("Every indicator needs a positive target."))
        checked_indicators.append(
            {
                "name": str(item["name"]).strip(),
                "kind": kind,
                "measure": measure,
                "service_kind": service_kind,
                "unit": item.get("unit", ""),
                "target": target,
            }
        )
    return _Parts(list(communities), needs, list(team), lines, matching, checked_indicators, requested)


def _day(on: date | None) -> date:
    """The day an application is written or handed in: today, or an earlier day being recorded, never a later one."""
    today = timezone.localdate()
    if on is None:
        return today
    if on > today:
        raise RuleViolation(_("%(d)s is still to come: record what has happened.") % {"d": on})
    return on


def _require_within_window(call: Call, on: date | None) -> date:
    """A call takes applications from the day it opens to the day it closes, both included."""
    day = _day(on)
    if day < call.opens_on:
        raise RuleViolation(
            _("The call “%(c)s” opens on %(d)s: applications are taken from that day.")
            % {"c": call, "d": call.opens_on}
        )
    if day > call.closes_on:
        raise RuleViolation(
            _("The call “%(c)s” closed on %(d)s: applications are no longer taken.") % {"c": call, "d": call.closes_on}
        )
    return day


def _write_parts(application: Application, parts: _Parts) -> None:
    application.communities.set(parts.communities)
    application.needs.set(parts.needs)
    TeamMember.objects.bulk_create(TeamMember(application=application, person=p, role=r) for p, r in parts.team)
    BudgetLine.objects.bulk_create(
        BudgetLine(application=application, head=h, description=d, amount=a) for h, d, a in parts.lines
    )
    MatchingFund.objects.bulk_create(
        MatchingFund(application=application, source=s, provider=p, amount=a) for s, p, a in parts.matching
    )
    Indicator.objects.bulk_create(Indicator(application=application, **item) for item in parts.indicators)


def _check_needs(needs: Sequence[Any], communities: Sequence[Organization]) -> None:
    """An application answers needs raised in its partner communities that still stand.

    The needs are read afresh: the caller's objects may predate a merge, a decline or a resolution.
    """
    partners = {c.pk for c in communities}
    fresh = Need.objects.in_bulk([n.pk for n in needs])
    for stale in needs:
        need = fresh.get(stale.pk)
        if need is None:
            raise RuleViolation(_("A linked need no longer exists."))
        if need.community_id not in partners:
            raise RuleViolation(_("“%(n)s” is a need of a community that is not a partner.") % {"n": need})
        if need.state in (Need.State.MERGED, Need.State.DECLINED, Need.State.RESOLVED):
            raise RuleViolation(
                _("“%(n)s” is %(s)s: link the needs that stand.") % {"n": need, "s": need.get_state_display()}
            )


@transaction.atomic
def link_needs(actor: Any, application: Application, needs: Iterable[Any]) -> Application:
    """Say which residents' needs a draft answers (reviewers and the needs-alignment metric read this)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_manager(actor, application.lead_agency)
    if application.state != Application.State.DRAFT:
        raise RuleViolation(_("Only a draft application is changed."))
    needs = list(needs)
    _check_needs(needs, list(application.communities.all()))
    application.needs.set(needs)
    record(actor, "application.needs", application, after={"needs": [n.pk for n in needs]})
    return application


def completeness(application: Application) -> list[str]:
    """What a submission still lacks, in the applicant's words (empty when complete)."""
    missing = []
    if not application.communities.exists():
        missing.append(_("Name at least one partner community (the linkage needs a community)."))
    team = list(application.team.select_related("person"))
    if not team:
        missing.append(_("Name the social-worker team."))
    elif not any(m.person.certificate != Certificate.NONE for m in team):
        missing.append(_("At least one team member must hold a social-work certificate."))
    if not application.indicators.exists():
        missing.append(_("Give at least one indicator with a target."))
    if not application.budget_lines.exists():
        missing.append(_("Give the budget lines."))
    return missing


@transaction.atomic
def submit(actor: Any, application: Application, *, on: date | None = None) -> Application:
    """Hand in a complete draft while its call is open and before its deadline.

    `on` is the day it was handed in (today unless recording the past, never a later day); it is checked
    against the call's dates and becomes `submitted_at` (noon of that day when it is not today).
    """
    application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    _require_manager(actor, application.lead_agency)
    if application.call.state != Call.State.OPEN:
        raise RuleViolation(_("The call is closed: applications can no longer be submitted."))
    day = _require_within_window(application.call, on)
    missing = completeness(application)
    if missing:
        raise RuleViolation(missing)
    at = timezone.now() if day == timezone.localdate() else timezone.make_aware(datetime.combine(day, time(12)))
    transition(
        application,
        Application.State.SUBMITTED,
        actor=actor,
        fields={"submitted_at": at},
        on=None if day == timezone.localdate() else day,
    )
    return application


@transaction.atomic
def withdraw(actor: Any, application: Application, reason: str = "") -> Application:
    _require_manager(actor, application.lead_agency)
    if application.call.state not in (Call.State.OPEN, Call.State.REVIEW):
        raise RuleViolation(_("An application can be withdrawn only before awards are made."))
    transition(application, Application.State.WITHDRAWN, actor=actor, reason=reason)
    return application


def _require_call_officer(actor: Any, call: Call) -> None:
    """Screening, ranking and results are recorded by the call's issuer or the program's department."""
    require(
        acts_for(actor, call.issuer, Role.OFFICER) or acts_for(actor, call.program.department, Role.OFFICER),
        _("Only officers of the call's issuer or department record review results."),
    )


@transaction.atomic
def record_eligibility(actor: Any, application: Application, findings: Sequence[str]) -> Application:
    """Eligible when the screening found nothing; the findings are kept for the applicant to read.

    Findings that are `Message`s are stored as template and parameters, so each reader sees them in
    their own language.
    """
    _require_call_officer(actor, application.call)
    target = Application.State.INELIGIBLE if findings else Application.State.ELIGIBLE
    notes = [message_data(f) for f in findings]
    transition(application, target, actor=actor, fields={"eligibility_notes": notes}, reason="; ".join(findings))
    return application


@transaction.atomic
def record_ranking(
    actor: Any,
    call: Call,
    scores: dict[int, Decimal],
    ranks: dict[int, int],
    *,
    performance: dict[int, Decimal] | None = None,
    disagreement: set[int] | None = None,
) -> None:
    """Store the panel's result: score, rank, the past-performance part and the disagreement flag."""
    _require_call_officer(actor, call)
    performance = performance or {}
    disagreement = disagreement or set()
    for application in Application.objects.filter(call=call, pk__in=scores):
        application.score = scores[application.pk]
        application.rank = ranks[application.pk]
        application.performance_score = performance.get(application.pk)
        application.disagreement = application.pk in disagreement
        application.save(update_fields=["score", "rank", "performance_score", "disagreement"])
    record(
        actor,
        "call.ranked",
        call,
        after={
            "ranking": {str(k): str(v) for k, v in ranks.items()},
            "scores": {str(k): str(v) for k, v in scores.items()},
            "disagreement": sorted(disagreement),
        },
    )


@transaction.atomic
def record_result(actor: Any, application: Application, awarded: bool, reason: str = "") -> Application:
    _require_call_officer(actor, application.call)
    target = Application.State.AWARDED if awarded else Application.State.NOT_AWARDED
    transition(application, target, actor=actor, reason=reason)
    return application
