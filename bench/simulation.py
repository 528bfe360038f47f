"""Benchmark of the policy simulator (issue: simulation).

20 years of the shipped `large_city` scenario (25 streets, 250 communities, 400 agencies at the start,
500,000 residents) in one process on one core, under both allocation rules of the platform's solver.
Prints the time, the agent-years per second (agents: residents, communities, streets, the department,
active agencies and their social workers, counted every year) and where the time goes (the
allocation solver, the governance metrics, the rest of the year).
Target: under 10 s for the rank-order rule (the platform's default).
Run: .venv/bin/python bench/simulation.py [--years N] [--seed S] [--rule rank_order|max_total_score|both]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"  # one core, as the target says
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # and pinned to one CPU

import numpy as np  # noqa: E402

from grassroots.awards import allocation  # noqa: E402
from grassroots.governance import metrics  # noqa: E402
from grassroots.simulation import model, params  # noqa: E402


def timed(store: dict[str, float], key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            store[key] += time.perf_counter() - started

    return wrapper


def bench(rule: str, years: int, seed: int) -> None:
    scenario = params.load("large_city")
    values = params.validate({**scenario.params, "allocation_rule": rule})
    spent = {"allocation": 0.0, "metrics": 0.0}
    real_allocate, real_compute = allocation.allocate, metrics.compute
    allocation.allocate = timed(spent, "allocation", real_allocate)  # type: ignore[assignment]
    metrics.compute = timed(spent, "metrics", real_compute)  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        result = model.simulate(values, years, np.random.SeedSequence(seed))
        elapsed = time.perf_counter() - started
    finally:
        allocation.allocate, metrics.compute = real_allocate, real_compute  # type: ignore[assignment]
    agent_years = sum(y.agents for y in result)
    calls = sum(len(y.facts.eligible_per_closed_call) for y in result)
    applications = sum(y.facts.eligible_applications for y in result)
    contracts = sum(len(y.facts.contracts) for y in result)
    print(
        f"{rule}: {years} years, {values['communities']} communities, {values['agencies']} agencies, "
        f"{values['residents']:,} residents"
    )
    print(f"  time {elapsed:.2f} s ({'within' if elapsed < 10 else 'OVER'} the 10 s target)")
    print(f"  agent-years {agent_years:,}: {agent_years / elapsed:,.0f} agent-years per second")
    print(f"  {calls} calls, {applications} applications, {contracts} contracts")
    print(
        f"  allocation solver {spent['allocation']:.2f} s, governance metrics {spent['metrics']:.2f} s, "
        f"the rest {elapsed - spent['allocation'] - spent['metrics']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rule", choices=[*allocation.RULES, "both"], default="both")
    args = parser.parse_args()
    for rule in allocation.RULES if args.rule == "both" else (args.rule,):
        bench(rule, args.years, args.seed)


if __name__ == "__main__":
    main()
