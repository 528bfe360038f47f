"""A small city for the simulator's tests: fast (a few milliseconds a year) and big enough to compete."""

from __future__ import annotations

from typing import Any

SMALL: dict[str, Any] = {
    "streets": 2,
    "communities": 8,
    "agencies": 12,
    "residents": 3000,
    "budget": 2_000_000,
    "categories": 4,
    "calls_per_street": 2,
    "entrants_per_year": 1.0,
}
