"""Geometry of the dashboard's charts, drawn as SVG by the templates (no Django, no JavaScript).

Every layout is deterministic — the same data draws the same picture — so pages print, compare and test
the same way each time. Coordinates are in SVG user units; the templates scale them to the page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

# --- sparklines: one small line per metric over the years -------------------------------------------------


@dataclass(frozen=True)
class Spark:
    width: int
    height: int
    segments: list[str]  # polyline points, broken where a year has no figure
    dots: list[tuple[float, float]]


def sparkline(values: Sequence[float | None], width: int = 120, height: int = 28, pad: int = 3) -> Spark:
    present = [v for v in values if v is not None]
    if not present:
        return Spark(width, height, [], [])
    low, high = min(present), max(present)
    span = high - low or 1.0
    step = (width - 2 * pad) / max(1, len(values) - 1)
    segments: list[str] = []
    dots: list[tuple[float, float]] = []
    current: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x = round(pad + i * step if len(values) > 1 else width / 2, 1)
        y = round(height - pad - (v - low) / span * (height - 2 * pad) if high > low else height / 2, 1)
        current.append(f"{x},{y}")
        dots.append((x, y))
    if current:
        segments.append(" ".join(current))
    return Spark(width, height, segments, dots)


# --- the Lorenz curve -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lorenz:
    size: int
    pad: int
    curve: str  # polyline points
    equality: str
    x_ticks: list[tuple[float, int]]  # (position, percent) along the horizontal axis
    y_ticks: list[tuple[float, int]]  # and the vertical one

    @property
    def end(self) -> int:
        """Where the plotting area ends, on both axes."""
        return self.size - self.pad


def lorenz_chart(points: Sequence[tuple[float, float]], size: int = 300, pad: int = 40) -> Lorenz:
    side = size - 2 * pad

    def at(x: float, y: float) -> str:
        return f"{round(pad + x * side, 1)},{round(pad + (1 - y) * side, 1)}"

    curve = " ".join(at(x, y) for x, y in points) if len(points) > 1 else ""
    percents = (0, 25, 50, 75, 100)
    return Lorenz(
        size,
        pad,
        curve,
        f"{at(0, 0)} {at(1, 1)}",
        [(round(pad + t / 100 * side, 1), t) for t in percents],
        [(round(pad + (1 - t / 100) * side, 1), t) for t in percents],
    )


# --- the cooperation network: communities on the left, agencies on the right ---------------------------------


@dataclass(frozen=True)
class Node:
    key: Hashable
    label: str
    x: float
    y: float
    degree: int
    left: bool  # a community (left column) or an agency (right column)

    @property
    def short(self) -> str:
        return self.label if len(self.label) <= 24 else self.label[:23] + "…"


@dataclass(frozen=True)
class Edge:
    community: Hashable
    agency: Hashable
    x1: float
    y1: float
    x2: float
    y2: float
    years: int  # in how many years the pair held a contract: repeated ties are drawn heavier
    current: bool  # held a contract in the year the page is about

    @property
    def width(self) -> float:
        return round(1.2 + 1.6 * (self.years - 1), 1)


@dataclass(frozen=True)
class Network:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]


ROW = 22
TOP = 24
LEFT_X = 210
RIGHT_X = 530
WIDTH = 740


def _barycentre_order(
    left: list[Hashable], right: list[Hashable], links: dict[Hashable, set[Hashable]], sweeps: int = 6
) -> tuple[list[Hashable], list[Hashable]]:
    """Order both columns so that linked nodes sit at similar heights (few crossings): each node moves to
    the mean position of its partners on the other side, alternately, a fixed number of times. Ties keep
    the previous order, so the result depends only on the input order."""
    back: dict[Hashable, set[Hashable]] = defaultdict(set)
    for c, agencies in links.items():
        for a in agencies:
            back[a].add(c)

    def reorder(
        column: list[Hashable], other: list[Hashable], partners: dict[Hashable, set[Hashable]]
    ) -> list[Hashable]:
        where = {key: i / max(1, len(other) - 1) for i, key in enumerate(other)}
        here = {key: i / max(1, len(column) - 1) for i, key in enumerate(column)}

        def centre(key: Hashable) -> float:
            found = [where[p] for p in partners.get(key, ()) if p in where]
            return sum(found) / len(found) if found else 2.0 + here[key]  # unlinked nodes keep their order, last

        return sorted(column, key=lambda key: (centre(key), here[key]))

    for _ in range(sweeps):
        right = reorder(right, left, back)
        left = reorder(left, right, links)
    return left, right


def network(
    communities: Sequence[tuple[Hashable, str]],
    agencies: Sequence[tuple[Hashable, str]],
    ties: Sequence[tuple[Hashable, Hashable, int, bool]],
) -> Network:
    """Lay out the bipartite graph of (community, agency, years, current) ties; nodes come in a stable order
    (e.g. by name), unlinked ones are kept at the bottom of their column."""
    labels = dict(communities) | dict(agencies)
    links: dict[Hashable, set[Hashable]] = defaultdict(set)
    degree: dict[Hashable, int] = defaultdict(int)
    for c, a, _years, _now in ties:
        links[c].add(a)
        degree[c] += 1
        degree[a] += 1
    left, right = _barycentre_order([k for k, _l in communities], [k for k, _l in agencies], links)
    rows = max(len(left), len(right), 1)
    height = TOP * 2 + rows * ROW

    def column(keys: list[Hashable], x: float, is_left: bool) -> dict[Hashable, Node]:
        offset = TOP + (rows - len(keys)) * ROW / 2 + ROW / 2
        return {
            key: Node(key, str(labels[key]), x, round(offset + i * ROW, 1), degree[key], is_left)
            for i, key in enumerate(keys)
        }

    placed = column(left, LEFT_X, True) | column(right, RIGHT_X, False)
    edges = [
        Edge(c, a, placed[c].x, placed[c].y, placed[a].x, placed[a].y, years, now)
        for c, a, years, now in sorted(ties, key=lambda t: (t[3], t[2]))  # the year's and heaviest ties on top
        if c in placed and a in placed
    ]
    return Network(WIDTH, height, list(placed.values()), edges)
