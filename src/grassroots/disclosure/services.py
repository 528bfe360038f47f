"""Importing OCDS packages published by other systems: the one write of the disclosure stage.

A package is read and validated first (`mapping.read_package`): anything that is not JSON or not an OCDS
1.1 package is refused and nothing is written. The whole import is one transaction. Each process becomes a
program (by its budget's project), a call (by its ocid), applications (its bids), an award list and awards,
contracts with their milestones and tranches, and payments (its transactions). Organizations are registered
through `orgs.services` with a valid unified social credit code. Every object written gets an audit event
and an `OcdsLink`, so importing the same package again creates nothing twice. What cannot be mapped is
reported, not guessed.

Imported history takes the legal path: award lists, awards, contracts, milestones and tranches are created
in their first state and moved on by `core.transitions.transition`, each step audited with the day it
happened (`on`), as the stage's own services would have moved them. The money rules hold as the services
enforce them elsewhere — no sum zero or negative, a call's awards never beyond its budget, a contract never
beyond its award, one payment per tranche and never beyond the contract — and a process breaking one is
imported not at all (its savepoint is rolled back) and reported as not mapped, so that no process is ever
half in the books. So is a process whose dates are impossible (`_check_chronology`), and one of this
platform's own (importing our export would make second calls).

A later package of a process imported before moves it on (`_Importer.move`): each object goes forward by
the legal path of its state machine, dated from the release; a move that is not forward is reported and
the object left as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.applications.models import Application
from grassroots.awards.models import Award, AwardList
from grassroots.contracts.models import Contract, Milestone, Payment, Tranche
from grassroots.contracts.services import add_months, milestone_due_dates, paid_total
from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.money import ZERO, sum_of, total
from grassroots.core.permissions import is_staff, require
from grassroots.core.transitions import state_label, transition
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Envelope, ProcurementMethod, Program, ServiceCategory
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Organization, OrgKind

from . import mapping, selectors
from .mapping import ImportReport, PackageRefused, ProcessPlan
from .models import OcdsLink

__all__ = ["ImportReport", "PackageRefused", "import_package"]

K = OcdsLink.Kind
MILESTONE_KINDS = [Milestone.Kind.START, Milestone.Kind.MIDTERM, Milestone.Kind.FINAL]
BID_STATES = {
    "pending": Application.State.SUBMITTED,
    "valid": Application.State.ELIGIBLE,
    "disqualified": Application.State.INELIGIBLE,
    "withdrawn": Application.State.WITHDRAWN,
}
AWARD_STATES = {"pending": Award.State.PROPOSED, "active": Award.State.CONFIRMED}


def import_package(actor: Any, data: bytes | str) -> ImportReport:
    """Import a release or record package; the report says what was created and what could not be mapped."""
    require(is_staff(actor), _("Only staff may import open data."))
    kind, compiled = mapping.read_package(data)  # refuses before anything is written
    report = ImportReport(package=kind)
    zone = ZoneInfo(settings.TIME_ZONE)
    plans = [mapping.plan(release, report, zone) for release in compiled]
    with transaction.atomic():
        importer = _Importer(actor, report)
        for plan in plans:
            importer.process(plan)
        digest = hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()
        record(actor, "ocds.imported", ("disclosure.package", digest[:32]), after=report.as_data())
    return report


class _Refused(Exception):
    """A money rule (or another rule of the services) the process breaks: nothing of it is imported."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(reason)
        self.where = where
        self.reason = reason


def _check_chronology(plan: ProcessPlan) -> None:
    """The process's dates in the order the mechanism takes: the call opens, its awards are publicised and
    decided, each contract is signed after its award and the decision, and payments and accepted milestones
    come after the signing. A date the package does not give is not checked."""
    awards = {a.id: a for a in plan.awards}
    decided_on = _award_days(plan)[1] if any(a.day for a in plan.awards) else None
    if plan.opens_on:
        for index, award in enumerate(plan.awards):
            if award.day and award.day < plan.opens_on:
                raise _Refused(
                    f"awards[{index}].date",
                    _("the award (%(day)s) is dated before the call opened (%(opens)s)")
                    % {"day": award.day, "opens": plan.opens_on},
                )
    for c in plan.contracts:
        award_day = awards[c.award_id].day if c.award_id in awards else None
        floors = [
            (plan.opens_on, _("the call opened")),
            (decided_on, _("the awards were decided")),
            (award_day, _("its award")),
        ]
        if c.signed_on:
            for day, what in floors:
                if day and c.signed_on < day:
                    raise _Refused(
                        f"contracts[{c.id}].dateSigned",
                        _("the contract is signed (%(day)s) before %(what)s (%(then)s)")
                        % {"day": c.signed_on, "what": what, "then": day},
                    )
        after = c.signed_on or max((day for day, _what in floors if day), default=None)
        if after is None:
            continue
        events: list[tuple[str, date | None, str]] = [
            (f"contracts[{c.id}].transactions[{t.id}]", t.day, _("a payment")) for t in c.transactions
        ]
        events += [(f"contracts[{c.id}].milestones[{m.id}]", m.met_on, _("a milestone met")) for m in c.milestones]
        for where, day, what in events:
            if day and day < after:
                raise _Refused(
                    where,
                    _("%(what)s (%(day)s) is dated before the contract was signed or could be (%(then)s)")
                    % {"what": what, "day": day, "then": after},
                )


#: The order of a call's states: a later package never takes a call back (awarding → review is the
#: platform's own reopening of a review, not something a package implies).
CALL_ORDER: list[str] = [Call.State.DRAFT, Call.State.OPEN, Call.State.REVIEW, Call.State.AWARDING, Call.State.DECIDED]


def _forward_path(model: type[models.Model], start: str, target: str) -> list[str] | None:
    """The shortest legal sequence of states from `start` to `target` (without `start`), or None."""
    if model is Call and {start, target} <= set(CALL_ORDER) and CALL_ORDER.index(target) < CALL_ORDER.index(start):
        return None
    table: dict[str, set[str]] = model.TRANSITIONS  # type: ignore[attr-defined]
    paths: dict[str, list[str]] = {start: []}
    queue = [start]
    while queue:
        state = queue.pop(0)
        for following in sorted(table.get(state, ())):
            if following not in paths:
                paths[following] = [*paths[state], following]
                if following == target:
                    return paths[following]
                queue.append(following)
    return None


def _award_days(plan: ProcessPlan) -> tuple[Any, Any]:
    """When the process's award list was publicised and decided: its first and last award's days (OCDS has
    no publicity period); without them, the compiled release's day or the first signing, if earlier."""
    days = [a.day for a in plan.awards if a.day]
    if days:
        # A cancellation after the decision (an upheld objection) does not date the decision.
        active = [a.day for a in plan.awards if a.day and a.status == "active"]
        return min(days), max(active or days)
    fallback = min([plan.day, *(c.signed_on for c in plan.contracts if c.signed_on)])
    return fallback, fallback


def _given_milestones(c: mapping.ContractPlan) -> list[tuple[str, mapping.MilestonePlan | None]]:
    """The contract's three milestones here and the OCDS milestone each stands for: by its code (start,
    midterm, final), else the others in their order."""
    by_code = {m.code: m for m in c.milestones}
    ordered = [m for m in c.milestones if m.code not in MILESTONE_KINDS]
    return [(kind, by_code.get(kind) or (ordered.pop(0) if ordered else None)) for kind in MILESTONE_KINDS]


def _key(*parts: str) -> str:
    return "ocds:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:60]


class _Importer:
    def __init__(self, actor: Any, report: ImportReport) -> None:
        self.actor = actor
        self.report = report
        self.orgs: dict[str, Organization | None] = {}

    # --- links -----------------------------------------------------------------------------------

    def linked(self, model: type[models.Model], scope: str, kind: str, ocds_id: str) -> Any:
        link = OcdsLink.objects.filter(scope=scope, kind=kind, ocds_id=ocds_id).first()
        return model._default_manager.filter(pk=link.object_id).first() if link else None

    def link(self, obj: models.Model, scope: str, kind: str, ocds_id: str) -> None:
        OcdsLink.objects.create(
            scope=scope,
            kind=kind,
            ocds_id=ocds_id,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
        )
        self.report.created[kind] += 1

    def created(self, obj: models.Model, action: str, plan: ProcessPlan, after: dict[str, Any]) -> None:
        record(self.actor, action, obj, after=after, reason=f"OCDS {plan.ocid}")

    # --- parties ---------------------------------------------------------------------------------

    def org(self, plan: ProcessPlan, party_id: str | None, kind: str, parent: Organization | None = None) -> Any:
        if party_id is None:
            return None
        party = plan.parties.get(party_id)
        if party is None:
            self.report.skip(plan.ocid, party_id, _("no party of the process has this id"))
            return None
        if party.uscc is None:
            self.report.skip(plan.ocid, party_id, _("the party has no unified social credit code (scheme CN-USCI)"))
            return None
        if party.uscc in self.orgs:
            return self.orgs[party.uscc]
        org = Organization.objects.filter(uscc=party.uscc).first()
        if org is not None and org.kind != kind:
            self.report.skip(
                plan.ocid,
                party_id,
                _("%(name)s is registered here as a %(is)s, not a %(wanted)s")
                % {"name": org.name, "is": org.get_kind_display(), "wanted": OrgKind(kind).label},
            )
            org = None
        elif org is None:
            try:
                org = org_services.register_organization(
                    self.actor, kind=kind, name=party.name, uscc=party.uscc, parent=parent, address=party.address
                )
                self.report.created["organization"] += 1
            except RuleViolation as exc:
                self.report.skip(plan.ocid, party_id, "; ".join(exc.messages))
                org = None
        else:
            self.report.unchanged["organization"] += 1
        self.orgs[party.uscc] = org
        return org

    # --- moving imported objects on ---------------------------------------------------------------

    def move(
        self,
        obj: Any,
        target: str,
        plan: ProcessPlan,
        where: str,
        kind: str,
        days: Mapping[str, Any] | None = None,
        fields: Mapping[str, dict[str, Any]] | None = None,
        *,
        count: bool = True,
    ) -> bool:
        """Move an object imported before to the state a later package implies, by the legal path of its
        state machine (each step dated from `days`, never before the step before it); a package that would
        take it back is reported and the object stays. True when it is (now) in `target`."""
        if obj.state == target:
            return True
        path = _forward_path(type(obj), obj.state, target)
        if path is None:
            model = type(obj)
            self.report.skip(
                plan.ocid,
                where,
                _(
                    "the package would take this %(object)s from “%(from)s” to “%(to)s”, which is not a move "
                    "forward: it stays as it was"
                )
                % {
                    "object": model._meta.verbose_name,
                    "from": state_label(model, obj.state),
                    "to": state_label(model, target),
                },
            )
            return False
        # A step the package gives no day for took place at the latest by the next step's day.
        dated, later = [], plan.day
        for state in reversed(path):
            later = (days or {}).get(state) or later
            dated.append(later)
        floor = None
        for state, day in zip(path, reversed(dated), strict=True):
            floor = max(floor, day) if floor else day
            transition(
                obj,
                state,
                actor=self.actor,
                fields=(fields or {}).get(state),
                on=floor,
                reason=f"OCDS {plan.ocid}",
            )
        if count:
            self.report.moved[kind] += 1
        return True

    def advance_call(self, plan: ProcessPlan, call: Call) -> None:
        """A call imported before goes as far as the newer package says, each step on the day it happened."""
        publicised_on, decided_on = _award_days(plan)
        days: dict[str, Any] = {
            Call.State.OPEN: plan.opens_on,
            Call.State.REVIEW: plan.closes_on,
            Call.State.AWARDING: publicised_on,
            Call.State.DECIDED: decided_on,
            Call.State.CANCELLED: plan.day,
        }
        target = self.call_state(plan)
        if call.state == Call.State.AWARDING and plan.awards and target in (Call.State.OPEN, Call.State.REVIEW):
            return  # every award cancelled: the list is withdrawn and the call, as here, stays awarding
        self.move(call, target, plan, "tender.status", K.CALL, days)

    # --- a process -------------------------------------------------------------------------------

    def process(self, plan: ProcessPlan) -> None:
        """One process in a savepoint: whole, or (breaking a money rule) not at all and reported."""
        created, unchanged = dict(self.report.created), dict(self.report.unchanged)
        moved = dict(self.report.moved)
        skipped, orgs = len(self.report.unmapped), dict(self.orgs)
        try:
            try:
                with transaction.atomic():
                    self.import_process(plan)
            except RuleViolation as exc:  # a rule of the services the imported history goes through
                raise _Refused(plan.ocid, "; ".join(exc.messages)) from exc
        except _Refused as refusal:
            self.report.created.clear()
            self.report.created.update(created)
            self.report.unchanged.clear()
            self.report.unchanged.update(unchanged)
            self.report.moved.clear()
            self.report.moved.update(moved)
            del self.report.unmapped[skipped:]
            self.orgs = orgs
            self.report.skip(
                plan.ocid,
                refusal.where,
                _("%(reason)s: nothing of this process was imported") % {"reason": refusal.reason},
            )
            return
        self.report.processes.append(plan.ocid)

    def import_process(self, plan: ProcessPlan) -> None:
        call = self.linked(Call, plan.ocid, K.CALL, plan.ocid)
        existed = call is not None
        if call is None and selectors.call_for(plan.ocid) is not None:
            # A call of this database under that name (our own export read back): a second call would double
            # it. Under our prefix into a database without that call (a round trip, a restore), it is imported.
            raise _Refused("ocid", _("this process was published by this platform: it is already here"))
        _check_chronology(plan)
        if call is None:
            call = self.new_call(plan)
            if call is None:
                return
        else:
            self.report.unchanged[K.CALL] += 1
        applications = self.bids(plan, call)
        awards = self.awards(plan, call, applications)
        if existed:
            self.advance_call(plan, call)
        for contract_plan in plan.contracts:
            self.contract(plan, call, contract_plan, awards)

    def new_call(self, plan: ProcessPlan) -> Call | None:
        department = self.org(plan, plan.buyer, OrgKind.DEPARTMENT)
        if department is None:
            self.report.skip(plan.ocid, "buyer", _("the process is not imported without its buyer"))
            return None
        issuer = department
        if plan.procuring and plan.procuring != plan.buyer:
            issuer = self.org(plan, plan.procuring, OrgKind.STREET, parent=department)
            if issuer is None:
                self.report.skip(plan.ocid, "tender.procuringEntity", _("the process is not imported without it"))
                return None
        budget = plan.total if plan.total is not None else plan.funds
        if budget is None or budget <= 0:
            raise _Refused("tender.value", _("the process has no positive value in CNY"))
        funds = min(plan.funds, budget) if plan.funds is not None and plan.funds > 0 else budget
        program = self.program(plan, department)
        envelope = None
        if issuer != department:
            envelope, made = Envelope.objects.get_or_create(program=program, street=issuer, defaults={"amount": ZERO})
            if made:
                self.created(envelope, "envelope.imported", plan, {"program": program.pk, "street": issuer.pk})
            needed = funding_services.envelope_committed(envelope) + funds
            if needed > envelope.amount:
                self.grow(envelope, "amount", needed, plan)
        needed = funding_services.committed(program) + (ZERO if envelope else funds)
        if needed > program.budget:
            self.grow(program, "budget", needed, plan)
        opens_on = plan.opens_on or plan.day
        call = Call.objects.create(
            program=program,
            envelope=envelope,
            issuer=issuer,
            reference=self.unique(Call, "reference", plan.reference, plan.ocid),
            title=plan.title,
            description=plan.description,
            funds=funds,
            matching_funds=budget - funds,
            max_request=budget,
            opens_on=opens_on,
            closes_on=max(plan.closes_on or opens_on, opens_on),
            state=self.call_state(plan),
        )
        call.categories.set(self.categories(plan, program))
        self.created(call, "call.imported", plan, {"funds": funds, "matching": budget - funds, "state": call.state})
        self.link(call, plan.ocid, K.CALL, plan.ocid)
        return call

    def grow(self, obj: Program | Envelope | AwardList, field: str, amount: Decimal, plan: ProcessPlan) -> None:
        """An imported program or envelope is sized to what its imported calls draw from it: OCDS carries only
        each process's own budget."""
        before = getattr(obj, field)
        setattr(obj, field, amount)
        obj.save(update_fields=[field])
        record(
            self.actor,
            f"{obj._meta.model_name}.{field}_imported",
            obj,
            before={field: before},
            after={field: amount},
            reason=f"OCDS {plan.ocid}",
        )

    def program(self, plan: ProcessPlan, department: Organization) -> Program:
        program = self.linked(Program, plan.scope, K.PROGRAM, plan.program_key)
        if program is not None and program.department_id == department.pk:
            return program
        program = Program.objects.create(
            department=department,
            title=plan.program_title,
            fiscal_year=(plan.opens_on or plan.day).year,
            budget=ZERO,
            method=plan.method if plan.method in ProcurementMethod.values else ProcurementMethod.PUBLIC_COMPETITION,
            eligibility=plan.eligibility,
            state=Program.State.OPEN,
        )
        self.created(program, "program.imported", plan, {"title": program.title, "year": program.fiscal_year})
        self.link(program, plan.scope, K.PROGRAM, plan.program_key)
        return program

    def categories(self, plan: ProcessPlan, program: Program) -> list[ServiceCategory]:
        wanted = plan.categories or [("imported", _("Imported services"))]
        found = [funding_services.ensure_category(code, name) for code, name in wanted]
        program.categories.add(*found)
        return found

    def call_state(self, plan: ProcessPlan) -> str:
        statuses = {a.status for a in plan.awards}
        if plan.status in ("cancelled", "withdrawn"):
            return Call.State.CANCELLED
        if plan.status in ("complete", "unsuccessful") or "active" in statuses:
            return Call.State.DECIDED
        if "pending" in statuses:
            return Call.State.AWARDING
        if plan.bids and plan.closes_on and plan.closes_on < plan.day:
            return Call.State.REVIEW
        return Call.State.OPEN if plan.status == "active" else Call.State.DRAFT

    def unique(self, model: type[models.Model], field: str, wanted: str, fallback: str) -> str:
        manager = model._default_manager
        if wanted and len(wanted) <= 40 and not manager.filter(**{field: wanted}).exists():
            return wanted
        return "OCDS-" + hashlib.sha256(f"{fallback}\x1f{wanted}".encode()).hexdigest()[:20].upper()

    # --- bids → applications ---------------------------------------------------------------------

    def bids(self, plan: ProcessPlan, call: Call) -> dict[str, Application]:
        applications: dict[str, Application] = {}
        awarded = {a.bid_id: a for a in plan.awards if a.bid_id}
        decided = self.call_state(plan) == Call.State.DECIDED
        for index, bid in enumerate(plan.bids):
            where = f"bids.details[{index}]"
            award = awarded.get(bid.id)
            state = BID_STATES.get(bid.status, Application.State.SUBMITTED)
            if state == Application.State.ELIGIBLE and decided:
                state = (
                    Application.State.AWARDED if award and award.status == "active" else Application.State.NOT_AWARDED
                )
            existing = self.linked(Application, plan.ocid, K.BID, bid.id)
            if existing is not None:
                applications[bid.id] = existing
                self.report.unchanged[K.BID] += 1
                _publicised, decided_on = _award_days(plan)
                days: dict[str, Any] = {
                    Application.State.ELIGIBLE: plan.closes_on,
                    Application.State.INELIGIBLE: plan.closes_on,
                    Application.State.AWARDED: award.day if award and award.day else decided_on,
                    Application.State.NOT_AWARDED: decided_on,
                }
                self.move(existing, state, plan, where, K.BID, days)
                continue
            if bid.status == "invited":
                self.report.skip(plan.ocid, where, _("an invitation to bid is not an application"))
                continue
            amount = bid.amount if bid.amount is not None else (award.amount if award else None)
            if amount is None:
                self.report.skip(plan.ocid, where, _("a bid without a value in CNY"))
                continue
            if amount <= 0:
                raise _Refused(where, _("a bid must ask for a positive amount"))
            made = self.application(plan, call, bid.id, bid.tenderers, amount, state, bid.submitted_at, award, where)
            if made is not None:
                applications[bid.id] = made
        return applications

    def application(
        self,
        plan: ProcessPlan,
        call: Call,
        bid_id: str,
        tenderers: list[str],
        amount: Decimal,
        state: str,
        submitted_at: Any,
        award: mapping.AwardPlan | None,
        where: str,
    ) -> Application | None:
        lead = self.org(plan, tenderers[0] if tenderers else None, OrgKind.AGENCY)
        if lead is None:
            self.report.skip(plan.ocid, where, _("the bid has no lead agency that can be registered"))
            return None
        street = call.issuer if call.issuer.kind == OrgKind.STREET else None
        partners = [self.org(plan, t, OrgKind.COMMUNITY, parent=street) for t in tenderers[1:]]
        category = self.category(plan, call, award)
        application = Application.objects.create(
            call=call,
            lead_agency=lead,
            reference=self.unique(Application, "reference", bid_id, f"{plan.ocid}\x1f{bid_id}"),
            title=(award.title if award and award.title else f"{call.title} · {lead.name}")[:200],
            category=category,
            requested=amount,
            state=state,
            submitted_at=submitted_at,
        )
        application.communities.set([p for p in partners if p is not None])
        self.created(application, "application.imported", plan, {"requested": amount, "state": state})
        self.link(application, plan.ocid, K.BID, bid_id)
        return application

    def category(self, plan: ProcessPlan, call: Call, award: mapping.AwardPlan | None) -> ServiceCategory:
        if award and award.category and award.category[0]:
            category = funding_services.ensure_category(award.category[0], award.category[1] or award.category[0])
            call.categories.add(category)
            call.program.categories.add(category)
            return category
        first = call.categories.order_by("code").first()
        return first or self.categories(plan, call.program)[0]

    # --- awards ----------------------------------------------------------------------------------

    def awards(self, plan: ProcessPlan, call: Call, applications: dict[str, Application]) -> dict[str, Award]:
        """The process's awards on one award list, publicised from the first award's day and decided on the
        last one's (OCDS has no publicity period): the list and each award go there by legal transitions."""
        awards: dict[str, Award] = {}
        if not plan.awards:
            return awards
        publicised_on, decided_on = _award_days(plan)
        award_list = self.linked(AwardList, plan.ocid, K.AWARD_LIST, plan.ocid)
        if award_list is None:
            award_list = AwardList.objects.create(call=call, rule=call.award_rule)
            self.created(award_list, "award_list.imported", plan, {"call": call.pk})
            self.link(award_list, plan.ocid, K.AWARD_LIST, plan.ocid)
        outcomes: list[tuple[Award, str, Any]] = []
        moving: dict[int, str] = {}  # awards imported before that this package moves on, and where
        for index, award_plan in enumerate(plan.awards):
            where = f"awards[{index}]"
            state = AWARD_STATES.get(award_plan.status, Award.State.REVOKED)
            existing = self.linked(Award, plan.ocid, K.AWARD, award_plan.id)
            if existing is not None:
                awards[award_plan.id] = existing
                self.report.unchanged[K.AWARD] += 1
                if existing.state != state:
                    # Imported pending before, now active or cancelled: moved on below, like a new one.
                    if _forward_path(Award, existing.state, state) is None:
                        self.move(existing, state, plan, where, K.AWARD)  # reports the backward move
                    else:
                        outcomes.append((existing, state, award_plan.day))
                        moving[existing.pk] = where
                continue
            if award_plan.amount is None:
                self.report.skip(plan.ocid, where, _("an award without a value in CNY"))
                continue
            if award_plan.amount <= 0:
                raise _Refused(where, _("an award must be positive"))
            application = applications.get(award_plan.bid_id or "")
            if application is None:
                # No bid to refer to (the bids extension is not used): the supplier's application is implied.
                bid_id = award_plan.bid_id or f"award:{award_plan.id}"
                application = self.linked(Application, plan.ocid, K.BID, bid_id) or self.application(
                    plan,
                    call,
                    bid_id,
                    award_plan.suppliers,
                    award_plan.amount,
                    Application.State.AWARDED if state == Award.State.CONFIRMED else Application.State.ELIGIBLE,
                    None,
                    award_plan,
                    where,
                )
                if application is None:
                    continue
            if award_plan.amount > application.requested:
                raise _Refused(
                    where,
                    _("the award %(a)s is more than its bid asked for (%(r)s)")
                    % {"a": award_plan.amount, "r": application.requested},
                )
            if AwardList.objects.filter(pk=award_list.pk, awards__application=application).exists():
                self.report.skip(plan.ocid, where, _("the application already has an award in this process"))
                continue
            if state != Award.State.REVOKED:
                live = sum_of(award_list.awards.exclude(state=Award.State.REVOKED), "amount")
                if live + award_plan.amount > call.budget:
                    raise _Refused(
                        where,
                        _("%(a)s would take the call's awards beyond its budget %(b)s")
                        % {"a": award_plan.amount, "b": call.budget},
                    )
            award = Award.objects.create(award_list=award_list, application=application, amount=award_plan.amount)
            self.created(award, "award.imported", plan, {"amount": award.amount, "state": award.state})
            self.link(award, plan.ocid, K.AWARD, award_plan.id)
            awards[award_plan.id] = award
            outcomes.append((award, state, award_plan.day))
        listed = list(award_list.awards.all())
        live_total = total(a.amount for a in listed if a.state != Award.State.REVOKED)
        live_total -= total(award.amount for award, outcome, _day in outcomes if outcome == Award.State.REVOKED)
        if award_list.state == AwardList.State.PROPOSED:
            transition(
                award_list,
                AwardList.State.PUBLICITY,
                actor=self.actor,
                fields={"publicity_from": publicised_on, "publicity_until": decided_on, "total": live_total},
                on=publicised_on,
                reason=f"OCDS {plan.ocid}",
            )
        elif award_list.total != live_total:
            self.grow(award_list, "total", live_total, plan)
        for award, outcome, day in outcomes:
            if outcome != Award.State.PROPOSED:
                transition(award, outcome, actor=self.actor, on=day or decided_on, reason=f"OCDS {plan.ocid}")
                if award.pk in moving:
                    # Its application follows, if its bid did not already take it there.
                    self.report.moved[K.AWARD] += 1
                    application = Application.objects.get(pk=award.application_id)
                    wanted = Application.State.AWARDED if outcome == Award.State.CONFIRMED else None
                    if wanted is None and application.state == Application.State.AWARDED:
                        wanted = Application.State.NOT_AWARDED
                    if wanted is not None:
                        self.move(application, wanted, plan, moving[award.pk], K.BID, {wanted: day or decided_on})
        states = {a.state for a in award_list.awards.all()}
        if Award.State.CONFIRMED in states and award_list.state == AwardList.State.PUBLICITY:
            transition(
                award_list,
                AwardList.State.DECIDED,
                actor=self.actor,
                fields={"decided_on": decided_on},
                on=decided_on,
                reason=f"OCDS {plan.ocid}",
            )
        elif states == {Award.State.REVOKED} and award_list.state == AwardList.State.PUBLICITY:
            transition(
                award_list, AwardList.State.WITHDRAWN, actor=self.actor, on=decided_on, reason=f"OCDS {plan.ocid}"
            )
        return awards

    # --- contracts, milestones, tranches, payments -------------------------------------------------

    def contract(self, plan: ProcessPlan, call: Call, c: mapping.ContractPlan, awards: dict[str, Award]) -> None:
        where = f"contracts[{c.id}]"
        contract = self.linked(Contract, plan.ocid, K.CONTRACT, c.id)
        if contract is None:
            contract = self.new_contract(plan, call, c, awards, where)
            if contract is None:
                return
        else:
            self.report.unchanged[K.CONTRACT] += 1
            self.sign_and_meet(plan, contract, c, where, moved=True)
        self.payments(plan, contract, c, where)

    def new_contract(
        self, plan: ProcessPlan, call: Call, c: mapping.ContractPlan, awards: dict[str, Award], where: str
    ) -> Contract | None:
        award = awards.get(c.award_id)
        if award is not None and c.amount is not None and (c.amount <= 0 or c.amount > award.amount):
            raise _Refused(
                where, _("its value %(v)s is not within its award's %(a)s") % {"v": c.amount, "a": award.amount}
            )
        if award is None or award.state != Award.State.CONFIRMED:
            self.report.skip(plan.ocid, where, _("its award %(a)s is not an imported active award") % {"a": c.award_id})
            return None
        if Contract.objects.filter(award=award).exists():
            self.report.skip(plan.ocid, where, _("its award already has a contract"))
            return None
        amount = c.amount if c.amount is not None else award.amount
        application = award.application
        starts_on = c.starts_on or c.signed_on or plan.day
        ends_on = c.ends_on if c.ends_on and c.ends_on > starts_on else add_months(starts_on, 12) - timedelta(days=1)
        contract = Contract.objects.create(
            award=award,
            number=self.unique(Contract, "number", c.id, f"{plan.ocid}\x1f{c.id}"),
            title=(c.title or application.title)[:200],
            purchaser=call.issuer,
            agency=application.lead_agency,
            category=application.category,
            amount=amount,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        contract.communities.set(application.communities.all())
        due = milestone_due_dates(starts_on, ends_on)
        amounts = funding_services.tranche_amounts(call.program, amount)
        percents = [Decimal(p) for p in call.program.tranche_percents]
        for position, (kind, given) in enumerate(_given_milestones(c)):
            milestone = Milestone.objects.create(
                contract=contract, kind=kind, due_on=(given.due_on if given and given.due_on else due[position])
            )
            Tranche.objects.create(
                contract=contract,
                milestone=milestone,
                position=position + 1,
                percent=percents[position],
                planned=amounts[position],
                payable=ZERO,
            )
        self.created(contract, "contract.imported", plan, {"amount": amount, "award": award.pk, "status": c.status})
        self.link(contract, plan.ocid, K.CONTRACT, c.id)
        self.sign_and_meet(plan, contract, c, where, moved=False)
        return contract

    def sign_and_meet(
        self, plan: ProcessPlan, contract: Contract, c: mapping.ContractPlan, where: str, *, moved: bool
    ) -> None:
        """The contract signed and its milestones accepted as the process says, on their days: a new contract
        from its first state, one imported before from where it stands (`moved`: counted as moved on)."""
        ended = c.status in ("terminated", "cancelled")
        if c.status == "active" or (ended and c.signed_on):
            if contract.state == Contract.State.DRAFT:
                transition(
                    contract,
                    Contract.State.ACTIVE,
                    actor=self.actor,
                    fields={"signed_on": c.signed_on},
                    on=c.signed_on,
                    reason=f"OCDS {plan.ocid}",
                )
                if moved:
                    self.report.moved[K.CONTRACT] += 1
        elif contract.state != Contract.State.DRAFT and c.status == "pending":
            self.move(contract, Contract.State.DRAFT, plan, where, K.CONTRACT)  # reports the backward move
        milestones = {m.kind: m for m in contract.milestones.all()}
        for kind, given in _given_milestones(c):
            milestone = milestones.get(kind)
            if milestone is None or given is None or given.met_on is None:
                continue
            if milestone.state != Milestone.State.ACCEPTED:
                self.move(
                    milestone,
                    Milestone.State.ACCEPTED,
                    plan,
                    f"{where}.milestones[{given.id}]",
                    "milestone",
                    {Milestone.State.SUBMITTED: given.met_on, Milestone.State.ACCEPTED: given.met_on},
                    {Milestone.State.ACCEPTED: {"accepted_on": given.met_on}},
                    count=moved,
                )

    def payments(self, plan: ProcessPlan, contract: Contract, c: mapping.ContractPlan, where: str) -> None:
        scope = f"{plan.ocid}/{c.id}"
        for txn in sorted(c.transactions, key=lambda t: (t.day, t.id)):
            if OcdsLink.objects.filter(scope=scope, kind=K.PAYMENT, ocds_id=txn.id).exists():
                self.report.unchanged[K.PAYMENT] += 1
                continue
            here = f"{where}.transactions[{txn.id}]"
            if txn.amount <= 0:
                raise _Refused(here, _("a payment must be positive"))
            if txn.day > timezone.localdate():
                raise _Refused(here, _("a payment cannot be dated in the future (%(day)s)") % {"day": txn.day})
            tranche = self.tranche_for(contract, txn.id)
            if tranche is None:
                raise _Refused(here, _("every tranche of the contract is already paid: one payment per tranche"))
            already = paid_total(contract)
            if already + txn.amount > contract.amount:
                raise _Refused(
                    here,
                    _("paying %(a)s would take payments beyond the contract amount %(c)s")
                    % {"a": txn.amount, "c": contract.amount},
                )
            if contract.state != Contract.State.ACTIVE:
                raise _Refused(here, _("a payment on a contract that was not signed"))
            payment = Payment.objects.create(
                tranche=tranche,
                idempotency_key=_key(plan.ocid, c.id, txn.id),
                amount=txn.amount,
                paid_on=txn.day,
                paid_by=self.actor if getattr(self.actor, "pk", None) else None,
            )
            reason = f"OCDS {plan.ocid}"
            if tranche.state == Tranche.State.PLANNED:
                transition(tranche, Tranche.State.PAYABLE, actor=self.actor, on=txn.day, reason=reason)
            transition(
                tranche, Tranche.State.PAID, actor=self.actor, fields={"payable": txn.amount}, on=txn.day, reason=reason
            )
            record(
                self.actor,
                "payment.imported",
                payment,
                after={
                    "contract": contract.pk,
                    "tranche": tranche.position,
                    "amount": txn.amount,
                    "paid_total": already + txn.amount,
                },
                reason=f"OCDS {plan.ocid}",
            )
            self.link(payment, scope, K.PAYMENT, txn.id)
        self.settle(plan, contract, c)

    def tranche_for(self, contract: Contract, txn_id: str) -> Tranche | None:
        open_tranches = Tranche.objects.filter(contract=contract).exclude(state=Tranche.State.PAID).order_by("position")
        if txn_id.startswith("tranche-") and txn_id.removeprefix("tranche-").isdigit():
            named = open_tranches.filter(position=int(txn_id.removeprefix("tranche-"))).first()
            if named is not None:
                return named
        return open_tranches.first()

    def settle(self, plan: ProcessPlan, contract: Contract, c: mapping.ContractPlan) -> None:
        """Tranches and the contract's state as the process says: an accepted milestone's tranche is payable;
        an ended contract withholds what it did not pay and is completed, or terminated if it stopped short
        (on its last payment's or milestone's day: a compiled release does not say when it ended)."""
        ended = c.status in ("terminated", "cancelled")
        reason = f"OCDS {plan.ocid}"
        for tranche in (
            Tranche.objects.filter(contract=contract).exclude(state=Tranche.State.PAID).select_related("milestone")
        ):
            if ended and tranche.state != Tranche.State.WITHHELD:
                transition(tranche, Tranche.State.WITHHELD, actor=self.actor, reason=reason)
            elif (
                not ended
                and tranche.milestone.state == Milestone.State.ACCEPTED
                and tranche.state == Tranche.State.PLANNED
            ):
                transition(
                    tranche,
                    Tranche.State.PAYABLE,
                    actor=self.actor,
                    fields={"payable": tranche.planned},
                    on=tranche.milestone.accepted_on,
                    reason=reason,
                )
        if ended and contract.state in (Contract.State.DRAFT, Contract.State.ACTIVE):
            finished = all(m.state == Milestone.State.ACCEPTED for m in contract.milestones.all())
            days = [t.day for t in c.transactions] + [m.met_on for m in c.milestones if m.met_on]
            transition(
                contract,
                Contract.State.COMPLETED
                if finished and contract.state == Contract.State.ACTIVE
                else Contract.State.TERMINATED,
                actor=self.actor,
                on=min(max(days), plan.day) if days else plan.day,
                reason=reason,
            )
