"""Reads of third-party evaluations: an evaluator's assignments and a contract's evaluations."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Case, QuerySet, Value, When

from grassroots.contracts.models import Contract
from grassroots.contracts.selectors import visible_to as contracts_visible_to
from grassroots.orgs.models import Organization

from .models import Evaluation, PerformanceRecord


def visible_to(user: Any) -> QuerySet[Evaluation]:
    """Evaluations are seen by whoever sees their contract (the evaluator included)."""
    return Evaluation.objects.filter(contract__in=contracts_visible_to(user).values("pk"))


def of_evaluator(user: Any, evaluator: Organization) -> QuerySet[Evaluation]:
    """The evaluations an evaluator organization was assigned, open ones first."""
    return (
        visible_to(user)
        .filter(evaluator=evaluator)
        .select_related("contract", "contract__agency", "contract__award__application")
        .annotate(
            open_first=Case(
                When(state=Evaluation.State.ASSIGNED, then=Value(0)),
                When(state=Evaluation.State.SUBMITTED, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("open_first", "-contract__starts_on", "kind")
    )


def of_contract(contract: Contract) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(contract=contract).select_related("evaluator").order_by("kind")


def record_of(contract: Contract) -> PerformanceRecord | None:
    """The performance record the contract's final evaluation wrote, if any."""
    return PerformanceRecord.objects.filter(contract=contract).first()


def past_performance(agency_ids: Iterable[int], before_year: int, years: int = 3) -> dict[int, Decimal]:
    """Mean final-evaluation score of each agency over the `years` fiscal years before `before_year`.

    This is what a past-performance review criterion reads; an agency without records is absent.
    """
    rows = (
        PerformanceRecord.objects.filter(
            agency_id__in=list(agency_ids), fiscal_year__lt=before_year, fiscal_year__gte=before_year - years
        )
        .values("agency_id")
        .annotate(mean=Avg("score"))
    )
    return {row["agency_id"]: Decimal(row["mean"]).quantize(Decimal("0.01")) for row in rows}
