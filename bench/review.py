"""Benchmark of the review and award solvers on generated instances (issue: review and award).

Assignment: 10,000 applications, 3,000 reviewers, k = 3, 2 % of all pairs conflicted.
Allocation: 5,000 applications, both rules, compared by objective.
Prints time, peak memory (tracemalloc: Python and NumPy allocations during the solve; and the process's
peak resident size, which includes the OR-Tools and HiGHS solvers) and objective.
Run: .venv/bin/python bench/review.py [--applications N] [--reviewers M] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from decimal import Decimal

import numpy as np

from grassroots.awards.allocation import Bid, allocate
from grassroots.review.assignment import Paper, Reviewer, solve_assignment

TOPICS = [f"t{i:02d}" for i in range(24)]


def assignment_instance(n: int, m: int, conflict_share: float, seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    papers = [Paper(f"A{i}", frozenset(rng.sample(TOPICS, rng.randint(1, 3)))) for i in range(n)]
    reviewers = [
        Reviewer(f"R{j}", frozenset(rng.sample(TOPICS, rng.randint(2, 5))), rng.randint(10, 14)) for j in range(m)
    ]
    gen = np.random.default_rng(seed)
    count = int(n * m * conflict_share)
    keys = np.unique(gen.integers(0, n * m, size=count))
    conflicts = [(f"R{k % m}", f"A{k // m}") for k in keys.tolist()]
    return papers, reviewers, conflicts


def bench_assignment(n: int, m: int, k: int, share: float, seed: int) -> None:
    papers, reviewers, conflicts = assignment_instance(n, m, share, seed)
    print(
        f"assignment: {n} applications, {m} reviewers, k={k}, {len(conflicts)} conflicts "
        f"({100 * len(conflicts) / (n * m):.1f}% of pairs)"
    )
    tracemalloc.start()
    start = time.perf_counter()
    result = solve_assignment(k, papers, reviewers, conflicts)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  time {elapsed:.2f} s, peak memory {peak / 2**20:.0f} MiB traced ({rss:.0f} MiB resident), "
        f"objective {result.objective:.4f}, {len(result.assignments)} pairs, {result.rounds} pricing rounds, "
        f"{result.columns} pairs in the final flow"
    )


def bench_allocation(n: int, seed: int) -> None:
    rng = random.Random(seed)
    categories = ["elderly", "children", "disability", "family", "governance"]
    bids = [
        Bid(
            f"A{i}",
            Decimal(rng.randrange(50, 300) * 1000),
            Decimal(rng.randrange(5000, 9800)) / 100,
            f"G{rng.randrange(n // 4)}",
            f"C{rng.randrange(250)}",
            rng.choice(categories),
        )
        for i in range(n)
    ]
    budget = sum((b.requested for b in bids), Decimal(0)) * Decimal("0.3")
    caps = {"elderly": budget * Decimal("0.3")}
    print(f"allocation: {n} applications, budget {budget:,.2f}, cap on elderly, at most 3 awards per agency")
    figures = {}
    for rule in ("rank_order", "max_total_score"):
        start = time.perf_counter()
        result = allocate(
            rule,
            bids,
            budget.quantize(Decimal("0.01")),
            Decimal(60),
            3,
            {c: v.quantize(Decimal("0.01")) for c, v in caps.items()},
        )
        elapsed = time.perf_counter() - start
        figures[rule] = result.objective
        print(
            f"  {rule:<16} time {elapsed:.2f} s, objective {result.objective}, funded {len(result.funded)}, "
            f"awarded {result.total_awarded:,.2f}"
        )
    gain = figures["max_total_score"] - figures["rank_order"]
    print(f"  max_total_score exceeds rank order by {gain} points ({100 * gain / figures['rank_order']:.2f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=3_000)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--conflicts", type=float, default=0.02)
    parser.add_argument("--allocation", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bench_assignment(args.applications, args.reviewers, args.k, args.conflicts, args.seed)
    bench_allocation(args.allocation, args.seed)


if __name__ == "__main__":
    main()
