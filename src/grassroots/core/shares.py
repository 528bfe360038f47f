"""How a project's amount or credit is shared among its partner communities: the one equal-split rule.

A contract delivered with several partner communities counts for each of them an equal share — of its
amount in the governance metrics (funds per community, Gini, Lorenz curve) and of its evaluated
performance in the scorecards. Each distinct partner counts once. Plain Python, no Django, so the
metrics, the simulator and the scorecards can all use it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
N = TypeVar("N", Decimal, float)


def equal_split(amount: N, partners: Iterable[K]) -> dict[K, N]:
    """Each distinct partner's equal share of `amount`, in the partners' first-seen order; {} without any.

    The shares are not rounded (a Decimal amount keeps the context's precision): callers that need money
    round the sums they show, so no cent is lost or invented by rounding each share.
    """
    distinct = list(dict.fromkeys(partners))
    if not distinct:
        return {}
    share = amount / len(distinct)
    return dict.fromkeys(distinct, share)
