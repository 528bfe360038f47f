"""Reads of joint applications, and the one rule of who may see which application.

An application is seen by
- the staff (managers, social workers, board members) of its lead agency;
- the community workers of its partner communities (they write it together, drafts included);
- officers of the issuing street and of the program's department, once it is submitted;
- the experts assigned to review it, while the call is under review;
- everybody logged in, once the call is decided, if it was awarded.

So a competing agency never sees another agency's application before the award decision, and
never sees one that was not funded.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from grassroots.core.permissions import is_staff
from grassroots.funding.models import Call
from grassroots.orgs.models import Organization, OrgKind, Role
from grassroots.orgs.selectors import agencies_staffed_by, orgs_where
from grassroots.review.models import Review

from .models import Application


def visible_to(user: Any) -> QuerySet[Application]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    if is_staff(user):
        return Application.objects.all()
    agencies = agencies_staffed_by(user)
    communities = orgs_where(user, Role.COMMUNITY_WORKER, kind=OrgKind.COMMUNITY)
    offices = orgs_where(user, Role.OFFICER)
    partnered = Application.objects.filter(communities__in=communities).values("pk")
    reviewing = Review.objects.filter(
        expert__person__user=user,
        state__in=[Review.State.ASSIGNED, Review.State.SUBMITTED],
        application__call__state=Call.State.REVIEW,
    ).values("application_id")
    return Application.objects.filter(
        Q(lead_agency__in=agencies)
        | Q(pk__in=partnered)
        | ((Q(call__issuer__in=offices) | Q(call__program__department__in=offices)) & ~Q(state=Application.State.DRAFT))
        | Q(pk__in=reviewing)
        | Q(call__state=Call.State.DECIDED, state=Application.State.AWARDED)
    )


def _listed(applications: QuerySet[Application]) -> QuerySet[Application]:
    return applications.select_related("call", "lead_agency", "category").order_by("-call__opens_on", "reference")


def led_by(user: Any, agency: Organization) -> QuerySet[Application]:
    """An agency's own applications (with their states), as far as `user` may see them."""
    return _listed(visible_to(user).filter(lead_agency=agency))


def partnered_by(user: Any, community: Organization) -> QuerySet[Application]:
    """Applications naming `community` as a partner."""
    return _listed(visible_to(user).filter(communities=community))


def to_calls_of(user: Any, issuer: Organization) -> QuerySet[Application]:
    """Applications handed in to the calls `issuer` opened."""
    return _listed(visible_to(user).filter(call__issuer=issuer).exclude(state=Application.State.DRAFT))


def of_call(user: Any, call: Call) -> QuerySet[Application]:
    """The applications of a call that `user` may see, in rank order once ranked."""
    return visible_to(user).filter(call=call).select_related("lead_agency", "category").order_by("rank", "reference")


def shows_scores(user: Any, application: Application) -> bool:
    """Scores and ranks are for the issuing officers until the call is decided, then for every reader."""
    if application.call.state == Call.State.DECIDED or is_staff(user):
        return True
    offices = orgs_where(user, Role.OFFICER)
    return offices.filter(pk__in=[application.call.issuer_id, application.call.program.department_id]).exists()


def application_detail(application: Application) -> dict[str, Any]:
    """What an application page shows beside the application itself."""
    return {
        "communities": list(application.communities.all()),
        "team": list(application.team.select_related("person")),
        "needs": list(application.needs.select_related("community", "category")),
        "indicators": list(application.indicators.all()),
        "budget_lines": list(application.budget_lines.all()),
        "matching_funds": list(application.matching_funds.all()),
    }
