"""Reads of the API: tokens (a user's own, and the user a presented token stands for), and the few queries the
routers need beyond each app's and `disclosure.selectors` (the routers stay thin: a lookup and a schema)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from grassroots.awards.models import Award, AwardList
from grassroots.contracts import selectors as contract_selectors
from grassroots.contracts.models import Contract
from grassroots.core.permissions import is_staff
from grassroots.disclosure import selectors as public
from grassroots.orgs.models import Organization, Person, Role
from grassroots.orgs.selectors import orgs_where, social_workers_of
from grassroots.review.models import Review

from .models import ApiToken
from .services import TOKEN_PREFIX, digest


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    """A user's tokens, active ones first, newest first."""
    return ApiToken.objects.filter(owner=user).order_by("-revoked_at", "-created_at", "-pk")


def active_token(token: str) -> ApiToken | None:
    """The active token row a presented token matches, of an active login (None: unknown, revoked, malformed)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return (
        ApiToken.objects.filter(digest=digest(token), revoked_at__isnull=True, owner__is_active=True)
        .select_related("owner")
        .first()
    )


def colleagues_of(agency: Organization) -> QuerySet[Person]:
    """The agency's social workers in force whom a token holder is shown: those whose login is deactivated have
    left and are not listed (those without a login are), by name."""
    return (
        social_workers_of(agency)
        .filter(Q(user__isnull=True) | Q(user__is_active=True))
        .only("pk", "name", "certificate")
        .order_by("name", "pk")
    )


def reviews_known_to(user: Any) -> QuerySet[Review]:
    """The reviews a caller may name: their own as an expert, or those of a call their office issues or whose
    program their department runs (staff: all). Others are a 404, as if they did not exist."""
    rows = Review.objects.select_related("application__call", "expert__person")
    if is_staff(user):
        return rows
    offices = orgs_where(user, Role.OFFICER)
    return rows.filter(
        Q(expert__person__user=user)
        | Q(application__call__issuer__in=offices)
        | Q(application__call__program__department__in=offices)
    )


def contracts_known_to(user: Any) -> QuerySet[Contract]:
    """The contracts a caller may name: every signed one (public) and the drafts of those concerned."""
    seen = Q(pk__in=contract_selectors.visible_to(user).values("pk")) | Q(pk__in=public.contracts().values("pk"))
    return Contract.objects.filter(seen).select_related("agency")


def with_public_awards(rows: QuerySet[AwardList]) -> QuerySet[AwardList]:
    """Public award lists with their awards in force (`public_awards`, by rank), as the API shows them."""
    awards = (
        Award.objects.exclude(state=Award.State.REVOKED)
        .select_related("application__lead_agency", "application__category", "contract")
        .prefetch_related("application__communities")
        .order_by("application__rank", "application__reference")
    )
    return rows.prefetch_related(Prefetch("awards", queryset=awards, to_attr="public_awards"))
