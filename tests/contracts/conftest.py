"""One active contract per test module, built once on top of the world and rolled back after the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from tests import world as w


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            pk = w.funded_contract(w.reload(module_world), requested="100000.00").pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    """Active, 100,000.00 from 2025-04-01 to 2026-03-31, by agency 1 for the S Street office; lines
    personnel 50,000 / activities 40,000 / management 10,000; tranches 30,000 / 40,000 / 30,000; nothing
    accepted yet."""
    return Contract.objects.get(pk=contract_pk)
