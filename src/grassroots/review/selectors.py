"""Reads of expert review: an expert's own assignments, and who may see which review of an application.

Review is blind: an application's reviews (who scored it, and how) are seen by the officers running
the call and by staff; an expert sees only their own review; the applicants see none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from grassroots.applications.models import Application
from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import orgs_where

from .models import Review


def assigned_to(user: Any) -> QuerySet[Review]:
    """The reviews assigned to `user` as an expert: open ones (assigned) first, then submitted, then withdrawn."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Review.objects.none()
    return (
        Review.objects.filter(expert__person__user=user)
        .select_related("application", "application__call", "application__category")
        .order_by("state", "-application__call__opens_on", "application__reference")
    )


def of_application(user: Any, application: Application) -> QuerySet[Review]:
    """The reviews of `application` that `user` may read."""
    reviews = Review.objects.filter(application=application).select_related("expert__person").order_by("pk")
    if user is None or not getattr(user, "is_authenticated", False):
        return Review.objects.none()
    if is_staff(user):
        return reviews
    call = application.call
    offices = orgs_where(user, Role.OFFICER).filter(pk__in=[call.issuer_id, call.program.department_id])
    if offices.exists():
        return reviews
    return reviews.filter(expert__person__user=user)
