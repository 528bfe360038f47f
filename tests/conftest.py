"""Fixtures shared by the whole suite.

`world` is the small district of `tests/world.py`, built through the services. Building it takes a
few hundred queries, so it is built once and kept inside an open transaction; every test runs in its
own savepoint (pytest-django's usual rollback), so each one starts from the same world. The
transaction is rolled back — the world removed — before any module that uses the database without
asking for `world` (those expect an empty database, like the demo's), and at the end of the session;
the next module that asks for it builds it again. For this reason the suite uses
`@pytest.mark.django_db` without `transaction=True`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from tests.world import World, build_world, reload

# Property tests draw the same examples on every run (the suite is deterministic) and keep no example
# database; the solvers' time varies with the machine, so no deadline either.
hypothesis_settings.register_profile("grassroots", derandomize=True, database=None, deadline=None)
hypothesis_settings.load_profile("grassroots")

_open: dict[str, Any] = {}  # "atomic" and "world" while the world's transaction is open


def _open_world(django_db_blocker: Any) -> World:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    _open.update(atomic=outer, world=built)
    return built


def _close_world(django_db_blocker: Any) -> None:
    outer = _open.pop("atomic", None)
    _open.pop("world", None)
    if outer is not None:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """Service errors are translated; the tests match their English text."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def world_transaction(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Callable[[], World]]:
    yield lambda: _open.get("world") or _open_world(django_db_blocker)
    _close_world(django_db_blocker)


def _uses_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(getattr(item, "fixturenames", ()))
    )


@pytest.fixture(scope="module", autouse=True)
def _empty_database_where_no_world_is_asked_for(request: pytest.FixtureRequest, django_db_blocker: Any) -> None:
    items = [item for item in request.session.items if getattr(item, "module", None) is request.module]
    if any(_uses_database(item) for item in items) and not any("world" in item.fixturenames for item in items):
        _close_world(django_db_blocker)


@pytest.fixture(scope="module")
def module_world(world_transaction: Callable[[], World]) -> World:
    # Module scope, so the world is built before pytest-django opens the test's own transaction.
    return world_transaction()


@pytest.fixture
def world(module_world: World, db: None) -> World:
    """Department, two streets, three communities, three agencies, an evaluator and five experts (fresh objects)."""
    return reload(module_world)
