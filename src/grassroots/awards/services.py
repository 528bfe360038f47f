"""Proposing awards under a call's budget, the publicity period, objections and the final decision.

Money rule: the confirmed awards of a call never add up to more than the call's budget (program
funds plus street matching funds); the allocation guarantees it and `propose_awards` checks again.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.core.audit import record
from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation
from grassroots.core.i18n import message_data, render_message
from grassroots.core.messages import Message, gettext_noop
from grassroots.core.money import total
from grassroots.core.permissions import require
from grassroots.core.transitions import transition
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import acts_for, person_of

from . import allocation
from .models import Award, AwardList, Objection

REVOKED = gettext_noop("the award was revoked after an objection was upheld")


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after `start`."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def _require_issuer(actor: Any, call: Call) -> None:
    require(
        acts_for(actor, call.issuer, Role.OFFICER),
        _("Only an officer of %(org)s may propose this call's awards.") % {"org": call.issuer.local_name},
    )


@transaction.atomic
def propose_awards(actor: Any, call: Call, rule: str | None = None) -> AwardList:
    """Select the awards within the call's budget, caps and minimum score by its rule (or `rule`).

    Every application left out gets a reason, stored with the list for the publicity period.
    """
    call = Call.objects.select_for_update().get(pk=call.pk)
    rule = rule or call.award_rule
    if rule not in allocation.RULES:
        raise RuleViolation(_("Unknown allocation rule: %(r)s") % {"r": rule})
    _require_issuer(actor, call)
    if call.state != Call.State.AWARDING:
        raise RuleViolation(_("Awards are proposed after the panel closes."))
    if AwardList.objects.filter(call=call).exclude(state=AwardList.State.WITHDRAWN).exists():
        raise RuleViolation(_("This call already has an award list; withdraw it first."))
    candidates = list(
        Application.objects.filter(call=call, state=Application.State.ELIGIBLE, score__isnull=False).select_related(
            "lead_agency", "category"
        )
    )
    bids = [
        allocation.Bid(str(a.pk), a.requested, a.score or Decimal(0), _agency_label(a, candidates), "", a.category.code)
        for a in candidates
    ]
    caps = {code: Decimal(cap) for code, cap in call.category_caps.items()}
    result = allocation.allocate(rule, bids, call.budget, call.min_score, call.max_awards_per_agency, caps)
    awarded = [a for a in candidates if str(a.pk) in set(result.funded)]
    amount = total(a.requested for a in awarded)
    if amount > call.budget:  # the allocation guarantees this; refuse rather than trust it blindly
        raise RuleViolation(_("The awards would exceed the call's budget."))
    by_ref = {str(a.pk): a.reference for a in candidates}
    award_list = AwardList.objects.create(
        call=call, rule=rule, total=amount, reasons={by_ref[k]: message_data(v) for k, v in result.reasons.items()}
    )
    Award.objects.bulk_create(Award(award_list=award_list, application=a, amount=a.requested) for a in awarded)
    record(
        actor,
        "award_list.proposed",
        award_list,
        after={"rule": rule, "total": amount, "funded": [a.reference for a in awarded]},
    )
    return award_list


def _agency_label(application: Application, candidates: list[Application]) -> str:
    """The agency as the reasons name it: its name, with its code where two agencies share a name."""
    agency = application.lead_agency
    namesakes = {a.lead_agency_id for a in candidates if a.lead_agency.name == agency.name}
    return agency.name if len(namesakes) == 1 else f"{agency.name} ({agency.uscc})"


@transaction.atomic
def start_publicity(
    actor: Any, award_list: AwardList, *, starts_on: date | None = None, working_days: int | None = None
) -> AwardList:
    """Publish the proposed list for the call's publicity period (or `working_days`), during which anyone objects."""
    _require_issuer(actor, award_list.call)
    working_days = working_days or award_list.call.publicity_days
    if working_days < 1:
        raise RuleViolation(_("A publicity period lasts at least one working day."))
    start = starts_on or timezone.localdate()
    transition(
        award_list,
        AwardList.State.PUBLICITY,
        actor=actor,
        fields={
            "publicity_from": start,
            "publicity_until": add_working_days(start, working_days),
        },
    )
    return award_list


@transaction.atomic
def raise_objection(actor: Any, award_list: AwardList, text: str, award: Award | None = None) -> Objection:
    """Anyone with a login may object during the publicity period."""
    person = person_of(actor)
    if person is None:
        raise Forbidden(_("Log in to raise an objection."))
    if award_list.state != AwardList.State.PUBLICITY:
        raise RuleViolation(_("Objections are taken only during the publicity period."))
    if award is not None and award.award_list_id != award_list.pk:
        raise RuleViolation(_("That award is not on this list."))
    if not text.strip():
        raise RuleViolation(_("Say what the objection is."))
    objection = Objection.objects.create(award_list=award_list, award=award, raised_by=person, text=text.strip())
    record(actor, "objection.raised", objection, after={"award": getattr(award, "pk", None)})
    return objection


@transaction.atomic
def answer_objection(actor: Any, objection: Objection, *, uphold: bool, response: str) -> Objection:
    """An upheld objection against an award revokes it; the money goes back to the call."""
    award_list = objection.award_list
    _require_issuer(actor, award_list.call)
    if not response.strip():
        raise RuleViolation(_("Answer the objection in words the objector can read."))
    objection.response = response.strip()
    objection.save(update_fields=["response"])
    transition(objection, Objection.State.UPHELD if uphold else Objection.State.DISMISSED, actor=actor, reason=response)
    if uphold and objection.award is not None:
        award = objection.award
        transition(award, Award.State.REVOKED, actor=actor, reason=response)
        award_list.total = award_list.total - award.amount
        award_list.save(update_fields=["total"])
        record(
            actor,
            "award_list.total_changed",
            award_list,
            after={"total": award_list.total},
            reason=f"award {award.pk} revoked",
        )
    return objection


@transaction.atomic
def decide(actor: Any, award_list: AwardList, *, on: date | None = None) -> AwardList:
    """The department approves the list once publicity has run its course and every objection is answered."""
    call = award_list.call
    department = call.program.department
    require(
        acts_for(actor, department, Role.OFFICER),
        _("Only an officer of %(org)s may approve awards.") % {"org": department.local_name},
    )
    day = on or timezone.localdate()
    if award_list.state != AwardList.State.PUBLICITY:
        raise IllegalTransition(_("Only a publicised list can be decided."), code="illegal_transition")
    if award_list.publicity_until and day < award_list.publicity_until:
        raise RuleViolation(_("The publicity period runs until %(d)s.") % {"d": award_list.publicity_until})
    if award_list.objections.filter(state=Objection.State.OPEN).exists():
        raise RuleViolation(_("Answer every objection before deciding."))
    live = list(award_list.awards.filter(state=Award.State.PROPOSED).select_related("application"))
    if total(a.amount for a in live) > call.budget:
        raise RuleViolation(_("The awards would exceed the call's budget."))
    transition(award_list, AwardList.State.DECIDED, actor=actor, fields={"decided_on": day})
    funded = set()
    for award in live:
        transition(award, Award.State.CONFIRMED, actor=actor)
        application_services.record_result(actor, award.application, True)
        funded.add(award.application_id)
    reasons = dict(award_list.reasons)
    for award in award_list.awards.filter(state=Award.State.REVOKED).select_related("application"):
        reasons[award.application.reference] = Message(REVOKED).as_data()
    for application in Application.objects.filter(call=call, state=Application.State.ELIGIBLE).exclude(pk__in=funded):
        application_services.record_result(
            actor, application, False, render_message(reasons.get(application.reference, ""))
        )
    funding_services.mark_decided(actor, call)
    return award_list


@transaction.atomic
def withdraw_award_list(actor: Any, award_list: AwardList, reason: str) -> AwardList:
    """Take back a proposed or publicised list (e.g. after an upheld objection against the ranking),
    so that a corrected one can be proposed."""
    _require_issuer(actor, award_list.call)
    if not reason.strip():
        raise RuleViolation(_("Say why the award list is withdrawn."))
    transition(award_list, AwardList.State.WITHDRAWN, actor=actor, reason=reason)
    for award in award_list.awards.filter(state=Award.State.PROPOSED):
        transition(award, Award.State.REVOKED, actor=actor, reason=reason)
    return award_list
