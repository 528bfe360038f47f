"""The dashboard's chart geometry and the metrics as written for readers (no database)."""

from __future__ import annotations

import itertools

import pytest
from django.utils import translation

from grassroots.governance import charts, labels, metrics


def crossings(network: charts.Network) -> int:
    count = 0
    for e, f in itertools.combinations(network.edges, 2):
        if (e.y1 - f.y1) * (e.y2 - f.y2) < 0:
            count += 1
    return count


def test_the_network_puts_partners_side_by_side_and_draws_the_same_picture_twice():
    communities = [(f"c{i}", f"Community {i}") for i in range(4)]
    agencies = [(f"a{i}", f"Agency {i}") for i in range(4)]
    # each community works with the agency "opposite" in reverse order: drawn naively, every pair crosses
    ties = [(f"c{i}", f"a{3 - i}", 1 + i % 2, i == 0) for i in range(4)]
    drawn = charts.network(communities, agencies, ties)
    assert crossings(drawn) == 0
    assert drawn == charts.network(communities, agencies, ties)
    by_key = {n.key: n for n in drawn.nodes}
    for c, a, _years, _now in ties:
        assert by_key[c].y == by_key[a].y
    heavy = next(e for e in drawn.edges if e.community == "c1")
    assert heavy.years == 2 and heavy.width > next(e for e in drawn.edges if e.community == "c0").width
    assert drawn.edges[-1].current  # the year's ties are drawn last, on top


def test_an_unlinked_community_stays_at_the_bottom_and_long_names_are_shortened():
    drawn = charts.network(
        [("alone", "A community with a name far too long to fit"), ("c", "C")], [("a", "A")], [("c", "a", 1, True)]
    )
    alone = next(n for n in drawn.nodes if n.key == "alone")
    linked = next(n for n in drawn.nodes if n.key == "c")
    assert alone.y > linked.y and alone.degree == 0
    assert alone.short == "A community with a name…" and len(alone.short) == 24


def test_a_sparkline_breaks_where_a_year_has_no_figure():
    spark = charts.sparkline([0.2, None, 0.4, 0.6])
    assert len(spark.segments) == 2 and len(spark.dots) == 3
    assert spark.dots[0][1] > spark.dots[2][1]  # higher values are drawn higher up
    assert charts.sparkline([None, None]).segments == []


def test_the_lorenz_chart_runs_from_corner_to_corner():
    chart = charts.lorenz_chart(metrics.lorenz([0, 100, 100, 200]))
    points = chart.curve.split()
    assert points[0] == f"{chart.pad}.0,{chart.end}.0" and points[-1] == f"{chart.end}.0,{chart.pad}.0"
    assert charts.lorenz_chart(metrics.lorenz([])).curve == ""


def test_the_readers_definitions_are_the_contracts():
    with translation.override("en"):
        assert [(n, str(s.definition)) for n, s in labels.SHOWN.items()] == [
            (m.name, m.definition) for m in metrics.METRICS
        ]


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("success_rate", 0.666666666667, "66.7%"),
        ("award_hhi", 0.413580246914, "0.414"),
        ("volunteer_hours_per_1000", 1234.5, "1,234.50"),
        ("fail_rate", None, "—"),
    ],
)
def test_figures_as_written(name, value, shown):
    assert labels.written(name, value) == shown
