"""The assignment's pricing loop: started from too few candidate pairs, it must still reach the optimum over all
pairs; and vacancies (a demand per application) are filled exactly."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from grassroots.review.assignment import Infeasible, Paper, Reviewer, solve_assignment
from tests.review.test_assignment import brute_force

TOPICS = list("abcdef")


@pytest.mark.parametrize("seed", range(40))
def test_starting_from_one_candidate_per_application_still_finds_the_optimum(seed: int) -> None:
    rng = random.Random(seed)
    k = rng.randint(1, 3)
    # Small enough for the exhaustive reference (at most 20^4 combinations).
    papers = [Paper(f"A{i}", frozenset(rng.sample(TOPICS, rng.randint(0, 3)))) for i in range(rng.randint(2, 4))]
    reviewers = [
        Reviewer(f"R{j}", frozenset(rng.sample(TOPICS, rng.randint(0, 3))), rng.randint(1, 3))
        for j in range(rng.randint(3, 6))
    ]
    conflicts = {(f"R{rng.randrange(len(reviewers))}", f"A{rng.randrange(len(papers))}") for _ in range(3)}
    best = brute_force(k, papers, reviewers, conflicts)
    try:
        result = solve_assignment(k, papers, reviewers, conflicts, initial_per_paper=1)
    except Infeasible:
        assert best is None
        return
    assert best is not None
    assert result.objective == pytest.approx(best, abs=1e-6)
    assert Counter(a for _r, a in result.assignments) == {p.id: k for p in papers}
    load = Counter(r for r, _a in result.assignments)
    assert all(load[r.id] <= r.capacity for r in reviewers)
    assert not set(result.assignments) & conflicts


def test_a_demand_per_application_fills_only_the_vacancies() -> None:
    papers = [Paper("A1", frozenset({"a"})), Paper("A2", frozenset({"b"})), Paper("A3", frozenset({"a"}))]
    reviewers = [Reviewer("R1", frozenset({"a"}), 2), Reviewer("R2", frozenset({"b"}), 2)]
    result = solve_assignment(2, papers, reviewers, demand=[1, 0, 1])
    assert result.assignments == [("R1", "A1"), ("R1", "A3")]
    with pytest.raises(ValueError, match="one non-negative number per application"):
        solve_assignment(2, papers, reviewers, demand=[1, 0])
