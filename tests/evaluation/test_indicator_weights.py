"""Indicator systems as data: what `indicators.problems` accepts and refuses, with the reason said once.

A system is a tree: the top level's points add up to 100, every group's children add up to the group's
points, points are positive with at most two decimals, a leaf says where its score comes from.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.evaluation import computed, indicators
from grassroots.evaluation.indicators import DEFAULT_SYSTEM, Node, problems

D = Decimal


def node(code: str, weight: str, parent: str = "", source: str = "", metric: str = "") -> Node:
    return Node(code=code, name=f"指标{code}", weight=D(weight), parent=parent, source=source, metric=metric)


def small() -> list[Node]:
    """Two dimensions of 60 and 40; the first has two leaves, the second is a leaf itself."""
    return [
        node("a", "60"),
        node("a1", "35.5", "a", "manual"),
        node("a2", "24.5", "a", "computed", "targets_met"),
        node("b", "40", "", "survey", "satisfied_share"),
    ]


def templates(found: Sequence[str]) -> list[str]:
    return [getattr(m, "template", m) for m in found]


def test_a_well_formed_system_has_no_problems() -> None:
    assert problems(small()) == []


def test_the_default_system_is_valid_and_weighs_100() -> None:
    assert problems(DEFAULT_SYSTEM) == []
    kids = indicators.children_of(DEFAULT_SYSTEM)
    assert sum((n.weight for n in kids[""]), D(0)) == D(100)
    assert sum((n.weight for n in indicators.leaves(DEFAULT_SYSTEM)), D(0)) == D(100)
    # Every source is used, and every computed or survey metric of the default exists.
    assert {n.source for n in indicators.leaves(DEFAULT_SYSTEM)} == {"manual", "computed", "survey"}
    assert all(not n.source for n in DEFAULT_SYSTEM if n.code in kids)


def test_an_empty_system_is_refused() -> None:
    assert templates(problems([])) == [indicators.NO_NODES]


def test_the_top_level_must_add_up_to_100() -> None:
    nodes = small()
    nodes[3] = replace(nodes[3], weight=D("39.99"))
    found = problems(nodes)
    assert templates(found) == [indicators.TOP_SUM]
    assert "99.99" in found[0]


def test_the_children_must_add_up_to_their_parent() -> None:
    nodes = small()
    nodes[1] = replace(nodes[1], weight=D("35"))  # a1 + a2 = 59.5 under a of 60; the top still adds up
    found = problems(nodes)
    assert templates(found) == [indicators.CHILD_SUM]
    assert "“a”" in found[0] and "59.5" in found[0] and "60" in found[0]


def test_every_group_is_checked_not_only_the_first() -> None:
    nodes = [
        node("a", "50"),
        node("a1", "50", "a", "manual"),
        node("b", "50"),
        node("b1", "20", "b", "manual"),
        node("b2", "20", "b", "manual"),  # b's children add up to 40
    ]
    found = problems(nodes)
    assert templates(found) == [indicators.CHILD_SUM]
    assert "“b”" in found[0]


@pytest.mark.parametrize("weight", ["0", "-5", "10.001", "NaN", "Infinity", "abc", "1e30", "  "])
def test_points_are_positive_with_at_most_two_decimals(weight: str) -> None:
    nodes = small()
    nodes[3] = Node("b", "满意度", weight, source="survey", metric="satisfied_share")  # type: ignore[arg-type]
    found = problems(nodes)
    assert templates(found) == [indicators.BAD_WEIGHT]
    assert weight in found[0]


@pytest.mark.parametrize("weight", ["40", "40.0", "40.00"])
def test_trailing_zeros_are_still_two_decimals(weight: str) -> None:
    nodes = small()
    nodes[3] = replace(nodes[3], weight=D(weight))
    assert problems(nodes) == []


def test_an_unknown_parent_is_named() -> None:
    nodes = [*small(), node("c1", "5", "c", "manual")]
    found = problems(nodes)
    assert templates(found) == [indicators.UNKNOWN_PARENT]
    assert "“c1”" in found[0] and "“c”" in found[0]


def test_a_node_under_a_missing_parent_is_not_called_a_cycle() -> None:
    nodes = [*small(), node("c", "5", "gone"), node("c1", "5", "c", "manual")]
    assert templates(problems(nodes)) == [indicators.UNKNOWN_PARENT]


def test_a_cycle_is_named_for_each_node_on_it() -> None:
    nodes = [*small(), node("x", "5", "y"), node("y", "5", "x"), node("z", "5", "x", "manual")]
    found = problems(nodes)
    assert templates(found) == [indicators.CYCLE, indicators.CYCLE]  # z is under the cycle, not on it
    assert "“x”" in found[0] and "“y”" in found[1]


def test_a_node_cannot_be_its_own_parent() -> None:
    nodes = [*small(), node("x", "5", "x", "manual")]
    assert templates(problems(nodes)) == [indicators.CYCLE]


def test_the_tree_is_at_most_three_levels_deep() -> None:
    nodes = [
        node("a", "100"),
        node("b", "100", "a"),
        node("c", "100", "b"),
        node("d", "100", "c", "manual"),
    ]
    found = problems(nodes)
    assert templates(found) == [indicators.TOO_DEEP]
    assert "“d”" in found[0]
    assert problems([*nodes[:2], replace(nodes[2], source="manual")]) == []  # three levels are fine


def test_codes_are_unique_and_well_formed() -> None:
    found = problems([*small(), node("a1", "1", "a", "manual")])
    assert templates(found) == [indicators.DUPLICATE_CODE]
    found = problems([replace(small()[0], code="a b"), *small()[1:]])
    assert templates(found) == [indicators.BAD_CODE]
    assert templates(problems([replace(small()[0], code="x" * 41)])) == [indicators.BAD_CODE]
    found = problems([*small()[:3], replace(small()[3], name="  ")])
    assert templates(found) == [indicators.NO_NAME]


def test_a_leaf_needs_a_known_source() -> None:
    nodes = small()
    nodes[1] = replace(nodes[1], source="guess")
    found = problems(nodes)
    assert templates(found) == [indicators.BAD_SOURCE]
    nodes[1] = replace(nodes[1], source="")
    assert templates(problems(nodes)) == [indicators.BAD_SOURCE]


@pytest.mark.parametrize(
    ("source", "metric", "problem"),
    [
        ("computed", "", indicators.NEEDS_METRIC),
        ("survey", "", indicators.NEEDS_METRIC),
        ("computed", "satisfied_share", indicators.BAD_METRIC),  # a survey metric on a computed leaf
        ("survey", "receipts", indicators.BAD_METRIC),
        ("computed", "happiness", indicators.BAD_METRIC),
    ],
)
def test_a_computed_or_survey_leaf_needs_a_metric_of_its_source(source: str, metric: str, problem: str) -> None:
    nodes = small()
    nodes[2] = replace(nodes[2], source=source, metric=metric)
    assert templates(problems(nodes)) == [problem]


@pytest.mark.parametrize("metric", sorted(computed.METRICS))
def test_every_delivery_metric_is_accepted_on_a_computed_leaf(metric: str) -> None:
    nodes = small()
    nodes[2] = replace(nodes[2], metric=metric)
    assert problems(nodes) == []


def test_a_group_takes_no_source() -> None:
    nodes = small()
    nodes[0] = replace(nodes[0], source="manual")
    found = problems(nodes)
    assert templates(found) == [indicators.GROUP_SOURCE]
    assert "“a”" in found[0]


def test_every_problem_is_reported_at_once() -> None:
    nodes = small()
    nodes[1] = replace(nodes[1], weight=D("30"))  # a's children: 54.5
    nodes[2] = replace(nodes[2], metric="nope")
    nodes[3] = replace(nodes[3], weight=D("45"))  # top: 105
    assert sorted(templates(problems(nodes))) == sorted(
        [indicators.TOP_SUM, indicators.CHILD_SUM, indicators.BAD_METRIC]
    )


# --- properties ---------------------------------------------------------------------------------


@st.composite
def systems(draw: st.DrawFn) -> list[Node]:
    """A random valid system: 100.00 split in cents among dimensions, each split again among leaves."""

    def split(total: int, parts: int) -> list[int]:
        cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True)))
        bounds = [0, *cuts, total]
        return [b - a for a, b in itertools.pairwise(bounds)]

    nodes: list[Node] = []
    for i, cents in enumerate(split(10000, draw(st.integers(1, 5)))):
        weight = D(cents) / 100
        parts = draw(st.integers(0, min(4, cents)))
        if parts < 2:
            nodes.append(Node(f"d{i}", f"维度{i}", weight, source="manual"))
            continue
        nodes.append(Node(f"d{i}", f"维度{i}", weight))
        for j, sub in enumerate(split(cents, parts)):
            nodes.append(Node(f"d{i}-{j}", f"指标{i}{j}", D(sub) / 100, f"d{i}", source="manual"))
    return nodes


@given(systems())
def test_any_split_of_100_points_is_valid_and_its_leaves_add_up_to_100(nodes: list[Node]) -> None:
    assert problems(nodes) == []
    assert sum((n.weight for n in indicators.leaves(nodes)), D(0)) == D(100)


@given(systems(), st.data())
def test_moving_one_cent_off_any_node_is_caught(nodes: list[Node], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(nodes) - 1))
    changed = list(nodes)
    changed[i] = replace(nodes[i], weight=nodes[i].weight + D("0.01"))
    found = templates(problems(changed))
    assert found and set(found) <= {indicators.TOP_SUM, indicators.CHILD_SUM}


@given(systems(), st.data())
def test_subtotals_add_up_to_the_total(nodes: list[Node], data: st.DataObject) -> None:
    earned = {
        n.code: indicators.points(n.weight, data.draw(st.decimals(0, 1, places=3))) for n in indicators.leaves(nodes)
    }
    sums = indicators.subtotals(nodes, earned)
    top = [n for n in nodes if not n.parent]
    assert sum((sums[n.code] for n in top), D(0)) == indicators.total(earned.values())
    assert all(sums[n.code] <= n.weight for n in nodes)
    assert [n.code for _level, n in indicators.ordered(nodes)] == [n.code for n in nodes]  # drawn depth-first
