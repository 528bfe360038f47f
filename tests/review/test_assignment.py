"""Reviewer assignment (plain data): k reviewers each, capacities and conflicts respected, best total affinity."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.review.assignment import Infeasible, Paper, Reviewer, jaccard, solve_assignment


def paper(pid: str, *topics: str) -> Paper:
    return Paper(pid, frozenset(topics))


def reviewer(rid: str, capacity: int, *expertise: str) -> Reviewer:
    return Reviewer(rid, frozenset(expertise), capacity)


def check_constraints(
    k: int,
    papers: list[Paper],
    reviewers: list[Reviewer],
    conflicts: set[tuple[str, str]],
    pairs: list[tuple[str, str]],
) -> None:
    assert len(set(pairs)) == len(pairs), "a reviewer twice on one application"
    per_paper = Counter(p for _r, p in pairs)
    assert all(per_paper[p.id] == k for p in papers)
    load = Counter(r for r, _p in pairs)
    assert all(load[r.id] <= r.capacity for r in reviewers)
    assert not set(pairs) & conflicts


def test_jaccard() -> None:
    assert jaccard(frozenset({"a", "b"}), frozenset({"b", "c"})) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0
    assert jaccard(frozenset({"a"}), frozenset({"a"})) == 1.0


def test_each_application_goes_to_its_expert() -> None:
    papers = [paper("elderly-app", "elderly"), paper("youth-app", "youth")]
    reviewers = [reviewer("r-youth", 1, "youth"), reviewer("r-elderly", 1, "elderly")]
    result = solve_assignment(1, papers, reviewers)
    assert result.status == "optimal"
    assert sorted(result.assignments) == [("r-elderly", "elderly-app"), ("r-youth", "youth-app")]
    assert result.objective == pytest.approx(2.0)


def test_k_distinct_reviewers_within_capacity() -> None:
    papers = [paper(f"a{i}", "elderly") for i in range(4)]
    reviewers = [reviewer(f"r{i}", 3, "elderly") for i in range(4)]
    result = solve_assignment(3, papers, reviewers)
    check_constraints(3, papers, reviewers, set(), result.assignments)
    assert len(result.assignments) == 12


def test_a_conflicted_pair_is_never_assigned_even_when_it_is_the_best_match() -> None:
    papers = [paper("a1", "elderly"), paper("a2", "youth")]
    reviewers = [reviewer("star", 2, "elderly", "youth"), reviewer("r2", 2, "youth"), reviewer("r3", 2, "elderly")]
    conflicts = {("star", "a1")}
    result = solve_assignment(2, papers, reviewers, conflicts)
    check_constraints(2, papers, reviewers, conflicts, result.assignments)
    assert ("star", "a1") not in result.assignments


def test_capacity_pushes_work_to_a_weaker_match() -> None:
    papers = [paper("a1", "elderly"), paper("a2", "elderly")]
    reviewers = [reviewer("expert", 1, "elderly"), reviewer("generalist", 2, "youth")]
    result = solve_assignment(1, papers, reviewers)
    check_constraints(1, papers, reviewers, set(), result.assignments)
    assert Counter(r for r, _p in result.assignments) == {"expert": 1, "generalist": 1}


def test_an_explicit_affinity_overrides_the_tags() -> None:
    papers = [paper("a1", "elderly")]
    reviewers = [reviewer("tagged", 1, "elderly"), reviewer("preferred", 1)]
    result = solve_assignment(1, papers, reviewers, affinity={("preferred", "a1"): 5.0})
    assert result.assignments == [("preferred", "a1")]


def test_no_applications_no_assignments() -> None:
    assert solve_assignment(3, [], [reviewer("r", 1)]).assignments == []


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError):
        solve_assignment(0, [paper("a", "x")], [reviewer("r", 1, "x")])


def test_too_few_reviewers_is_infeasible_and_says_how_many_are_needed() -> None:
    with pytest.raises(Infeasible, match=r"need.*3|3.*need") as info:
        solve_assignment(3, [paper("a1", "x")], [reviewer("r1", 5, "x"), reviewer("r2", 5, "x")])
    assert str(info.value)


def test_conflicts_that_leave_too_few_reviewers_name_the_application() -> None:
    reviewers = [reviewer(f"r{i}", 5, "x") for i in range(3)]
    papers = [paper("a1", "x"), paper("a-conflicted", "x")]
    with pytest.raises(Infeasible, match="a-conflicted"):
        solve_assignment(3, papers, reviewers, conflicts={("r0", "a-conflicted")})


def test_too_little_capacity_is_infeasible() -> None:
    papers = [paper(f"a{i}", "x") for i in range(5)]
    reviewers = [reviewer("r1", 2, "x"), reviewer("r2", 2, "x")]
    with pytest.raises(Infeasible, match="capacity"):
        solve_assignment(1, papers, reviewers)


def test_capacity_and_conflicts_together_can_be_infeasible() -> None:
    # Each application alone has a reviewer, and the pool has capacity for both, but not at once.
    papers = [paper("a1", "x"), paper("a2", "x")]
    reviewers = [reviewer("r1", 1, "x"), reviewer("r2", 1, "x")]
    conflicts = {("r2", "a1"), ("r2", "a2")}
    with pytest.raises(Infeasible, match="conflict"):
        solve_assignment(1, papers, reviewers, conflicts)


def brute_force(
    k: int, papers: list[Paper], reviewers: list[Reviewer], conflicts: set[tuple[str, str]]
) -> float | None:
    """The best total affinity over every feasible assignment, or None when there is none."""
    choices = [
        [
            combo
            for combo in itertools.combinations(reviewers, k)
            if all((r.id, p.id) not in conflicts and r.capacity > 0 for r in combo)
        ]
        for p in papers
    ]
    best = None
    for pick in itertools.product(*choices):
        load = Counter(r.id for combo in pick for r in combo)
        if any(load[r.id] > r.capacity for r in reviewers):
            continue
        value = sum(jaccard(p.topics, r.expertise) for p, combo in zip(papers, pick, strict=True) for r in combo)
        best = value if best is None else max(best, value)
    return best


TOPICS = ["elderly", "youth", "disability"]
instances = st.tuples(
    st.integers(min_value=1, max_value=2),
    st.lists(st.sets(st.sampled_from(TOPICS), min_size=1), min_size=1, max_size=3),
    st.lists(
        st.tuples(st.sets(st.sampled_from(TOPICS)), st.integers(min_value=0, max_value=3)), min_size=1, max_size=4
    ),
    st.sets(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(instances)
def test_the_assignment_is_feasible_and_optimal_or_truly_infeasible(
    instance: tuple[int, list[set[str]], list[tuple[set[str], int]], set[tuple[int, int]]],
) -> None:
    k, paper_topics, reviewer_specs, conflict_idx = instance
    papers = [paper(f"a{i}", *topics) for i, topics in enumerate(paper_topics)]
    reviewers = [reviewer(f"r{i}", cap, *tags) for i, (tags, cap) in enumerate(reviewer_specs)]
    conflicts = {(f"r{r}", f"a{a}") for r, a in conflict_idx if r < len(reviewers) and a < len(papers)}
    best = brute_force(k, papers, reviewers, conflicts)
    if best is None:
        with pytest.raises(Infeasible):
            solve_assignment(k, papers, reviewers, conflicts)
        return
    result = solve_assignment(k, papers, reviewers, conflicts)
    check_constraints(k, papers, reviewers, conflicts, result.assignments)
    assert result.objective == pytest.approx(best, abs=1e-6)
