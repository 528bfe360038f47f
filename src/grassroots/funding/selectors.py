"""Reads of the funding stage: programs and what they have committed, envelopes, calls, and who sees which call.

A call is a public document once it is opened (申报指南 are published); a draft call is seen only by
officers of its issuer and of its program's department.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from grassroots.applications.models import Application
from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Organization, Role
from grassroots.orgs.selectors import orgs_where

from .models import Call, Envelope, Program
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
