"""Expert review in the REST API: an expert's own reviews and their blind scoring (token authentication);
every rule and permission is `services.submit_scores`' own."""

# No `from __future__ import annotations`: django-ninja reads the operations' annotations at import time.
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from grassroots.api import selectors as api_selectors
from grassroots.api.auth import actor, token_auth
from grassroots.api.pagination import Paged
from grassroots.api.schemas import WRITE_ERRORS, BodyId, Id, LongText, Measure, Score
from grassroots.core.errors import RuleViolation

from . import selectors, services
from .models import Review

router = Router(tags=["reviews"], auth=token_auth)


class ReviewCriterionOut(Schema):
    id: int
    name: str
    name_en: str
    description: str
    weight: Measure


class ReviewOut(Schema):
    id: int
    state: str
    application_id: int
    application_reference: str
    application_title: str
    call_id: int
    criteria: list[ReviewCriterionOut] = Field(..., description="The criteria the reviewer scores, 0 to 100 each.")
    total: Score | None
    submitted_at: datetime | None

    @staticmethod
    def resolve_application_reference(obj: Review) -> str:
        return obj.application.reference

    @staticmethod
    def resolve_application_title(obj: Review) -> str:
        return obj.application.title

    @staticmethod
    def resolve_call_id(obj: Review) -> int:
        return obj.application.call_id

    @staticmethod
    def resolve_criteria(obj: Review) -> Any:
        return selectors.reviewer_criteria(obj.application.call)


ScoreValue = Annotated[Decimal, Field(..., ge=0, le=100, max_digits=5, decimal_places=2)]


class ScoreIn(Schema):
    criterion: BodyId
    score: ScoreValue
    comment: LongText = ""


class ScoresIn(Schema):
    scores: list[ScoreIn] = Field(..., min_length=1, max_length=50)
    comment: LongText = ""


@router.get("/reviews", response={200: list[ReviewOut], **WRITE_ERRORS}, summary="My reviews")
@paginate(Paged)
def my_reviews(request: HttpRequest) -> QuerySet[Review]:
    """The reviews assigned to the caller as an expert: open ones first."""
    return selectors.assigned_to(actor(request)).select_related("application__call")


def _review(request: HttpRequest, pk: int) -> Review:
    """A review the caller may know of: their own, or one of a call their office runs (404 otherwise)."""
    return get_object_or_404(api_selectors.reviews_known_to(actor(request)), pk=pk)


@router.post("/reviews/{id}/scores", response={200: ReviewOut, **WRITE_ERRORS}, summary="Score a review")
def score_review(request: HttpRequest, id: Id, data: ScoresIn) -> Review:
    """Score each criterion of the call from 0 to 100 (once: a submitted review is final). Only the assigned
    expert scores, while the panel is open."""
    review = _review(request, id)
    keys = [s.criterion for s in data.scores]
    if len(set(keys)) != len(keys):
        raise RuleViolation(_("Score each criterion once."))
    return services.submit_scores(
        actor(request),
        review,
        {s.criterion: s.score for s in data.scores},
        comment=data.comment,
        comments={s.criterion: s.comment for s in data.scores if s.comment},
    )
