"""Reads of the funding stage: programs and what they have committed, envelopes, calls, and who sees which call.

A call is a public document once it is opened (申报指南 are published); a draft call is seen only by
officers of its issuer and of its program's department.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from grassroots.applications.models import Application
from grassroots.core.money import ZERO, total
from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import orgs_where

from .models import Call, Envelope, Program, ServiceCategory
from .services import committed, envelope_committed


@dataclass(frozen=True)
class ProgramRow:
    program: Program
    committed: Decimal

    @property
    def left(self) -> Decimal:
        return self.program.budget - self.committed


@dataclass(frozen=True)
class EnvelopeRow:
    envelope: Envelope
    committed: Decimal

    @property
    def left(self) -> Decimal:
        return self.envelope.amount - self.committed


def calls_visible_to(user: Any) -> QuerySet[Call]:
    """Every call but the drafts; drafts only to officers of the issuer or of the program's department."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Call.objects.none()
    if is_staff(user):
        return Call.objects.all()
    offices = orgs_where(user, Role.OFFICER)
    return Call.objects.filter(~Q(state=Call.State.DRAFT) | Q(issuer__in=offices) | Q(program__department__in=offices))


def with_application_counts(calls: QuerySet[Call]) -> QuerySet[Call]:
    """Annotate `submitted_count`: the applications handed in (drafts are the applicants' own business)."""
    return calls.annotate(
        submitted_count=Count("applications", filter=~Q(applications__state=Application.State.DRAFT), distinct=True)
    )


def programs_of(department: Organization) -> list[ProgramRow]:
    """A department's programs, newest year first, each with what its envelopes and direct calls commit."""
    programs = Program.objects.filter(department=department).order_by("-fiscal_year", "title")
    return [ProgramRow(program, committed(program)) for program in programs]


def envelopes_of(street: Organization) -> list[EnvelopeRow]:
    """The envelopes entrusted to a street, each with what its calls commit."""
    envelopes = Envelope.objects.filter(street=street).select_related("program").order_by("-program__fiscal_year", "pk")
    return [EnvelopeRow(envelope, envelope_committed(envelope)) for envelope in envelopes]


def calls_issued_by(user: Any, org: Organization) -> QuerySet[Call]:
    """The calls `org` issued, as far as `user` may see them."""
    calls = calls_visible_to(user).filter(issuer=org).select_related("program", "issuer")
    return with_application_counts(calls).order_by("-opens_on", "reference")


def calls_of_department(user: Any, department: Organization) -> QuerySet[Call]:
    """Every call on a department's programs, its own and its streets'."""
    calls = calls_visible_to(user).filter(program__department=department).select_related("program", "issuer")
    return with_application_counts(calls).order_by("-opens_on", "reference")


def open_calls(user: Any) -> QuerySet[Call]:
    """Calls taking applications now."""
    calls = calls_visible_to(user).filter(state=Call.State.OPEN).select_related("program", "issuer")
    return calls.order_by("closes_on", "reference")


def call_detail(call: Call) -> dict[str, Any]:
    """What a call page shows beside the call itself."""
    return {
        "criteria": list(call.criteria.all()),
        "categories": list(call.categories.all()),
        "needs": list(call.needs.select_related("community").all()),
    }


# --- the funding pages: programs, envelopes and what they commit, read in bulk ------------------------------------


def programs_visible_to(user: Any) -> QuerySet[Program]:
    """Programs once opened are public documents; a draft only to its department's officers (and staff)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Program.objects.none()
    if is_staff(user):
        return Program.objects.all()
    return Program.objects.filter(~Q(state=Program.State.DRAFT) | Q(department__in=orgs_where(user, Role.OFFICER)))


def departments_run_by(user: Any) -> QuerySet[Organization]:
    """The purchasing departments `user` is an officer of (every department for staff)."""
    if is_staff(user):
        return Organization.objects.filter(kind=OrgKind.DEPARTMENT).order_by("name")
    return orgs_where(user, Role.OFFICER, kind=OrgKind.DEPARTMENT).order_by("name")


def envelopes_visible_to(user: Any) -> QuerySet[Envelope]:
    """An envelope is the business of its street's officers and of its program's department's officers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Envelope.objects.none()
    if is_staff(user):
        return Envelope.objects.all()
    offices = orgs_where(user, Role.OFFICER)
    return Envelope.objects.filter(Q(street__in=offices) | Q(program__department__in=offices))


def committed_by_program(program_ids: Iterable[int]) -> dict[int, Decimal]:
    """What each program has entrusted or called (its envelopes plus its direct calls), in two queries.

    The same sum as `services.committed`, summed here exactly (SQLite's SUM adds decimals as floats).
    """
    ids = list(program_ids)
    out: dict[int, Decimal] = dict.fromkeys(ids, ZERO)
    if not ids:
        return out
    for program_id, amount in Envelope.objects.filter(program_id__in=ids).values_list("program_id", "amount"):
        out[program_id] += amount
    direct = Call.objects.filter(program_id__in=ids, envelope__isnull=True).exclude(state=Call.State.CANCELLED)
    for program_id, funds in direct.values_list("program_id", "funds"):
        out[program_id] += funds
    return out


def called_by_envelope(envelope_ids: Iterable[int]) -> dict[int, Decimal]:
    """What the calls on each envelope take from it (cancelled calls give their funds back), in one query."""
    ids = list(envelope_ids)
    out: dict[int, Decimal] = dict.fromkeys(ids, ZERO)
    if not ids:
        return out
    calls = Call.objects.filter(envelope_id__in=ids).exclude(state=Call.State.CANCELLED)
    for envelope_id, funds in calls.values_list("envelope_id", "funds"):
        out[envelope_id] += funds
    return out


def program_rows(programs: Iterable[Program]) -> list[ProgramRow]:
    """Programs each with what it commits, in a fixed number of queries however many programs there are."""
    listed = list(programs)
    committed_of = committed_by_program(p.pk for p in listed)
    return [ProgramRow(p, committed_of[p.pk]) for p in listed]


def envelope_rows(envelopes: Iterable[Envelope]) -> list[EnvelopeRow]:
    """Envelopes each with what its calls take, in one query however many envelopes there are."""
    listed = list(envelopes)
    called_of = called_by_envelope(e.pk for e in listed)
    return [EnvelopeRow(e, called_of[e.pk]) for e in listed]


def direct_calls_total(program: Program) -> Decimal:
    """The funds of a program's own calls (not on an envelope), cancelled ones aside."""
    calls = Call.objects.filter(program=program, envelope__isnull=True).exclude(state=Call.State.CANCELLED)
    return total(calls.values_list("funds", flat=True))


def streets_without_envelope(program: Program) -> QuerySet[Organization]:
    """The street offices under the program's department that have no envelope of it yet."""
    return (
        Organization.objects.filter(kind=OrgKind.STREET, parent_id=program.department_id)
        .exclude(envelopes__program=program)
        .order_by("name")
    )


def program_years(programs: QuerySet[Program]) -> list[int]:
    """The fiscal years the programs cover, newest first."""
    return sorted(set(programs.values_list("fiscal_year", flat=True)), reverse=True)


def catalogue() -> QuerySet[ServiceCategory]:
    """The purchase catalogue a program chooses its categories from."""
    return ServiceCategory.objects.order_by("code")
