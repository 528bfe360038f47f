"""A write sent again with its idempotency key writes once: a retry of an expenditure never books the money twice,
even when the first booking used up the line or the retry races it; a key is never reused for another request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from grassroots.core.audit import AuditEvent
from grassroots.core.errors import KeyReused
from grassroots.delivery import services as delivery_services
from grassroots.delivery.models import Expenditure
from grassroots.delivery.services import spent_on_line
from tests import world as w

pytestmark = pytest.mark.django_db

DAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            pk = w.funded_contract(w.reload(module_world), agency=1, requested="100000.00").pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    return Contract.objects.get(pk=contract_pk)


def book(world: w.World, contract: Contract, amount: Any, key: str, description: str = "活动物资") -> Expenditure:
    return delivery_services.record_expenditure(
        world.managers[1],
        contract,
        line=contract.lines.get(head="activities"),
        spent_on=DAY,
        amount=amount,
        description=description,
        idempotency_key=key,
    )


def test_a_retry_after_the_line_is_used_up_returns_the_booking(world: w.World, contract: Contract) -> None:
    line = contract.lines.get(head="activities")
    whole = line.amount
    first = book(world, contract, whole, "all-of-it")
    events = AuditEvent.objects.count()
    again = book(world, contract, str(whole), "all-of-it")
    assert again.pk == first.pk and spent_on_line(line) == whole
    assert AuditEvent.objects.count() == events  # nothing happened, so nothing is recorded
    with w.refused(KeyReused, match="already used for a different request"):
        book(world, contract, "1.00", "all-of-it")


def test_a_retry_racing_its_original_finds_its_row(
    world: w.World, contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = book(world, contract, "300.00", "race")
    real = delivery_services._replay
    looks = {"n": 0}

    def late(*args: Any) -> Any:
        """The retry's first look comes before the original is committed: it finds nothing, books, and meets
        the unique key."""
        looks["n"] += 1
        return None if looks["n"] == 1 else real(*args)

    monkeypatch.setattr(delivery_services, "_replay", late)
    again = book(world, contract, "300.00", "race")
    assert again.pk == first.pk
    assert Expenditure.objects.filter(contract=contract, idempotency_key="race").count() == 1


def test_an_over_long_or_unprintable_key_is_refused(world: w.World, contract: Contract) -> None:
    for key in ("k" * 81, "a\nb"):
        with w.refused(delivery_services.RuleViolation, match="at most 80 printable characters"):
            book(world, contract, "10.00", key)
