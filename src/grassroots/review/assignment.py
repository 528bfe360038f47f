"""Reviewer assignment: each application gets k distinct reviewers, no reviewer beyond capacity, no
conflicted pair, maximising total expertise affinity. Plain data in and out (no Django), solved
exactly as an integer program by HiGHS (the constraint matrix is a bipartite b-matching, so the LP
relaxation is already integral and HiGHS proves optimality at the root).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array


class Infeasible(Exception):
    """No assignment satisfies the constraints; the message says why in words an office can act on."""


@dataclass(frozen=True)
class Reviewer:
    id: str
    expertise: frozenset[str]
    capacity: int


@dataclass(frozen=True)
class Paper:
    """An application as the assignment sees it: an id and its topics."""

    id: str
    topics: frozenset[str]


@dataclass
class AssignmentResult:
    status: str
    objective: float
    assignments: list[tuple[str, str]] = field(default_factory=list)  # (reviewer id, application id)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def solve_assignment(
    k: int,
    papers: Sequence[Paper],
    reviewers: Sequence[Reviewer],
    conflicts: Iterable[tuple[str, str]] = (),
    affinity: dict[tuple[str, str], float] | None = None,
) -> AssignmentResult:
    """Optimal assignment; raises `Infeasible` when the pool cannot cover every application."""
    if k < 1:
        raise ValueError("reviewers_per_application must be at least 1")
    affinity = affinity or {}
    banned = set(conflicts)
    if not papers:
        return AssignmentResult("optimal", 0.0, [])
    pairs: list[tuple[int, int]] = []
    weights: list[float] = []
    for ai, paper in enumerate(papers):
        for ri, reviewer in enumerate(reviewers):
            if reviewer.capacity <= 0 or (reviewer.id, paper.id) in banned:
                continue
            pairs.append((ri, ai))
            weights.append(affinity.get((reviewer.id, paper.id), jaccard(paper.topics, reviewer.expertise)))
    _check_coverage(k, papers, reviewers, pairs)
    n = len(pairs)
    rows_a = np.fromiter((a for _, a in pairs), dtype=np.int64, count=n)
    rows_r = np.fromiter((r for r, _ in pairs), dtype=np.int64, count=n)
    cols = np.arange(n)
    ones = np.ones(n)
    per_paper = csr_array((ones, (rows_a, cols)), shape=(len(papers), n))
    per_reviewer = csr_array((ones, (rows_r, cols)), shape=(len(reviewers), n))
    capacity = np.array([r.capacity for r in reviewers], dtype=float)
    result = milp(
        c=-np.asarray(weights),
        constraints=[
            LinearConstraint(per_paper, k, k),
            LinearConstraint(per_reviewer, 0, capacity),
        ],
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"presolve": True},
    )
    if result.status == 2 or result.x is None:
        raise Infeasible("the reviewers' capacities cannot cover every application without a conflict")
    if result.status != 0:
        raise RuntimeError(f"the solver stopped without an optimal assignment: {result.message}")
    chosen = np.flatnonzero(result.x > 0.5)
    assignments = sorted(
        ((reviewers[pairs[i][0]].id, papers[pairs[i][1]].id) for i in chosen), key=lambda p: (p[1], p[0])
    )
    objective = float(sum(weights[i] for i in chosen))
    return AssignmentResult("optimal", round(objective, 6), assignments)


def _check_coverage(
    k: int, papers: Sequence[Paper], reviewers: Sequence[Reviewer], pairs: list[tuple[int, int]]
) -> None:
    """Name the first obvious reason the pool is too small before asking the solver."""
    available = [0] * len(papers)
    for _, a in pairs:
        available[a] += 1
    for paper, count in zip(papers, available, strict=True):
        if count < k:
            raise Infeasible(f"application {paper.id} has {count} reviewer(s) without a conflict; {k} are needed")
    total_capacity = sum(max(r.capacity, 0) for r in reviewers)
    if total_capacity < k * len(papers):
        raise Infeasible(f"the pool's total capacity is {total_capacity} reviews; {k * len(papers)} are needed")
