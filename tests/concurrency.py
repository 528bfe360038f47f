"""Running one action from many threads at once, each with its own database connection and transaction, as
simultaneous web or API requests would. Only meaningful on PostgreSQL: SQLite serialises writers (and its
shared in-memory test database reports table locks instead of waiting)."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections
from django.utils import translation

THREADS = 12


def race(target: Any, count: int) -> list[Any]:
    """Run `target(i)` in `count` threads released at once; return what each returned or raised."""
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            with translation.override("en"):  # each thread starts in the default language
                outcomes[i] = target(i)
        except Exception as exc:  # the outcome under test
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
