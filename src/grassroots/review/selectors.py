"""Reads of expert review: an expert's own assignments, and who may see which review of an application.

Review is blind: an application's reviews (who scored it, and how) are seen by the officers running
the call and by staff; an expert sees only their own review; the applicants see none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet

from grassroots.applications.models import Application
from grassroots.core.permissions import is_staff
from grassroots.funding.models import Call, Criterion
from grassroots.orgs.models import Expert, Role
from grassroots.orgs.selectors import acts_for, orgs_where

from .models import Conflict, Review, Score


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


# --- the pages of a call's review ----------------------------------------------------------------------


def oversees(user: Any, call: Call) -> bool:
    """Whether `user` may see how a call is reviewed: staff, and officers of its issuer or its department."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_staff(user):
        return True
    return orgs_where(user, Role.OFFICER).filter(pk__in=[call.issuer_id, call.program.department_id]).exists()


def runs(user: Any, call: Call) -> bool:
    """Whether `user` acts for the call's issuer, who runs its review (the services decide in the end)."""
    return acts_for(user, call.issuer, Role.OFFICER)


def points(value: Decimal | None, weight: Decimal) -> Decimal | None:
    """A criterion's score on the 0-100 scale, as points out of the criterion's weight."""
    if value is None:
        return None
    return (value * weight / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def reviewer_criteria(call: Call) -> list[Criterion]:
    """The criteria the reviewers score, in the call's order."""
    return list(call.criteria.filter(source=Criterion.Source.REVIEWERS).order_by("position", "pk"))


@dataclass(frozen=True)
class Cell:
    """One square of the assignment matrix: the expert's review of the application, or their conflict."""

    review: Review | None
    conflicted: bool


@dataclass
class Row:
    """One application of the call on the review page."""

    application: Application
    cells: list[Cell]
    reviews: list[Review]  # active (not withdrawn) reviews
    vacancies: int
    submitted: int
    means: list[Decimal | None]  # per reviewer-scored criterion, in points
    lowest: Decimal | None  # the lowest and highest reviewers' totals
    highest: Decimal | None

    @property
    def eligible(self) -> bool:
        return self.application.state == Application.State.ELIGIBLE


@dataclass
class Board:
    """Everything the review page of a call shows."""

    call: Call
    criteria: list[Criterion]  # scored by the reviewers
    performance: list[Criterion]  # filled from past performance
    rows: list[Row]  # every application handed in, ranked ones first by rank
    experts: list[Expert]  # the matrix's columns: experts with a review or a conflict in the call
    conflicts: list[Conflict]
    submitted: int  # scores in
    expected: int  # reviews the eligible applications need
    open_reviews: list[Review]  # assigned and not yet scored, on eligible applications
    vacancies: int

    @property
    def eligible(self) -> list[Row]:
        return [r for r in self.rows if r.eligible]

    @property
    def matrix(self) -> list[Row]:
        """The rows the assignment matrix shows: eligible applications, and any other with a review or conflict."""
        return [r for r in self.rows if r.eligible or any(c.review or c.conflicted for c in r.cells)]

    @property
    def vacant(self) -> list[Row]:
        return [r for r in self.rows if r.vacancies]

    @property
    def ranking(self) -> list[Row]:
        return sorted((r for r in self.rows if r.application.rank is not None), key=lambda r: r.application.rank or 0)

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.expected) if self.expected else 0


def board(call: Call, seats: dict[int, int]) -> Board:
    """The review of `call` as its officers see it: eligibility, the assignment matrix, conflicts, progress
    and the ranking. `seats` are the vacancies per application (`services.vacancies`). Six queries."""
    criteria = list(call.criteria.order_by("position", "pk"))
    scored = [c for c in criteria if c.source == Criterion.Source.REVIEWERS]
    applications = list(
        Application.objects.filter(call=call)
        .exclude(state=Application.State.DRAFT)
        .select_related("lead_agency", "category")
        .order_by(F("rank").asc(nulls_last=True), "reference")
    )
    reviews = list(
        Review.objects.filter(application__call=call)
        .select_related("expert__person", "application")
        .order_by("expert_id", "pk")
    )
    conflicts = list(
        Conflict.objects.filter(application__call=call)
        .select_related("expert__person", "application")
        .order_by("application__reference", "expert__person__name", "pk")
    )
    means: dict[tuple[int, int], Decimal] = {
        (row["review__application_id"], row["criterion_id"]): row["mean"]
        for row in Score.objects.filter(review__application__call=call, review__state=Review.State.SUBMITTED)
        .values("review__application_id", "criterion_id")
        .annotate(mean=Avg("value"))
    }
    experts: dict[int, Expert] = {r.expert_id: r.expert for r in reviews}
    for c in conflicts:
        experts.setdefault(c.expert_id, c.expert)
    columns = sorted(experts.values(), key=lambda e: (e.person.name, e.pk))
    by_pair = {(r.application_id, r.expert_id): r for r in reviews}
    conflicted = {(c.application_id, c.expert_id) for c in conflicts}
    active_by_application: dict[int, list[Review]] = defaultdict(list)
    for r in reviews:
        if r.state != Review.State.WITHDRAWN:
            active_by_application[r.application_id].append(r)
    rows = []
    for application in applications:
        active = active_by_application[application.pk]
        totals = [r.total for r in active if r.state == Review.State.SUBMITTED and r.total is not None]
        rows.append(
            Row(
                application=application,
                cells=[
                    Cell(by_pair.get((application.pk, e.pk)), (application.pk, e.pk) in conflicted) for e in columns
                ],
                reviews=active,
                vacancies=seats.get(application.pk, 0),
                submitted=len(totals),
                means=[points(_decimal(means.get((application.pk, c.pk))), c.weight) for c in scored],
                lowest=min(totals) if totals else None,
                highest=max(totals) if totals else None,
            )
        )
    eligible = [r for r in rows if r.eligible]
    return Board(
        call=call,
        criteria=scored,
        performance=[c for c in criteria if c.source == Criterion.Source.PERFORMANCE],
        rows=rows,
        experts=columns,
        conflicts=conflicts,
        submitted=sum(r.submitted for r in eligible),
        expected=len(eligible) * call.reviewers_per_application,
        open_reviews=[r for row in eligible for r in row.reviews if r.state == Review.State.ASSIGNED],
        vacancies=sum(seats.values()),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def pool_with_load(call: Call) -> list[tuple[Expert, int]]:
    """The active expert pool with how many reviews each holds in `call`, for assigning by hand."""
    load = dict(
        Review.objects.filter(application__call=call)
        .exclude(state=Review.State.WITHDRAWN)
        .values("expert_id")
        .annotate(n=Count("pk"))
        .values_list("expert_id", "n")
    )
    experts = Expert.objects.filter(active=True).select_related("person").order_by("person__name", "pk")
    return [(e, load.get(e.pk, 0)) for e in experts]


@dataclass(frozen=True)
class Given:
    """A criterion of a submitted review, as its reviewer gave it."""

    criterion: Criterion
    points: Decimal | None
    comment: str


def given(review: Review) -> list[Given]:
    """The reviewer's own scores, in points, criterion by criterion (for their eyes and the officers')."""
    scores = {s.criterion_id: s for s in review.scores.all()}
    return [
        Given(
            c,
            points(scores[c.pk].value, c.weight) if c.pk in scores else None,
            scores[c.pk].comment if c.pk in scores else "",
        )
        for c in reviewer_criteria(review.application.call)
    ]


def own_conflicts(review: Review) -> list[Conflict]:
    """The conflicts recorded between the reviewer and this application (their own, so theirs to read)."""
    return list(
        Conflict.objects.filter(expert_id=review.expert_id, application_id=review.application_id).order_by("pk")
    )


def progress_of(call_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Per call under review: (reviews submitted, reviews that count — assigned or submitted)."""
    rows = (
        Review.objects.filter(application__call_id__in=list(call_ids))
        .exclude(state=Review.State.WITHDRAWN)
        .values("application__call_id")
        .annotate(done=Count("pk", filter=Q(state=Review.State.SUBMITTED)), active=Count("pk"))
    )
    return {row["application__call_id"]: (row["done"], row["active"]) for row in rows}
