"""Many simultaneous requests to pay one tranche make exactly one payment (PostgreSQL, real transactions).

Each thread has its own database connection and its own transaction, as concurrent web or API requests
would; the row locks in `pay_tranche` and the one-payment-per-tranche constraint must let exactly one
through. SQLite serialises writers by design (and its shared in-memory test database reports table locks
instead of waiting), so the test runs where CI runs the suite on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Payment, Tranche
from grassroots.core.audit import verify
from grassroots.core.errors import RuleViolation
from tests import world as w
from tests.concurrency import THREADS, race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: run with DATABASE_URL set"),
]


@pytest.fixture
def payable() -> tuple[w.World, Tranche]:
    world = w.build_world()
    contract = w.funded_contract(world)
    w.accept_milestone(world, contract, "start", date(2025, 4, 10))
    return world, Tranche.objects.get(contract=contract, position=1)


def test_different_keys_one_payment(payable: tuple[w.World, Tranche]) -> None:
    world, tranche = payable
    outcomes = race(
        lambda i: contract_services.pay_tranche(
            world.dept_officer, tranche, idempotency_key=f"request-{i}", on=date(2025, 4, 20)
        ),
        THREADS,
    )
    paid = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(paid) == 1 and len(refused) == THREADS - 1, Counter(type(o).__name__ for o in outcomes)
    assert all("already been paid" in str(o) for o in refused)
    assert Payment.objects.filter(tranche=tranche).count() == 1
    tranche.refresh_from_db()
    assert tranche.state == Tranche.State.PAID
    assert Payment.objects.get().amount == tranche.payable == Decimal("30000.00")
    assert verify().ok


def test_the_same_key_retried_at_once_returns_the_one_payment(payable: tuple[w.World, Tranche]) -> None:
    world, tranche = payable
    outcomes = race(
        lambda i: contract_services.pay_tranche(
            world.dept_officer, tranche, idempotency_key="retry-me", on=date(2025, 4, 20)
        ),
        THREADS,
    )
    assert all(isinstance(o, Payment) for o in outcomes), Counter(type(o).__name__ for o in outcomes)
    assert {o.pk for o in outcomes} == {Payment.objects.get(tranche=tranche).pk}
    assert verify().ok
