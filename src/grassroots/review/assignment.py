"""Reviewer assignment: each application gets k distinct reviewers, no reviewer beyond capacity, no
conflicted pair, maximising total expertise affinity. Plain data in and out (no Django).

The problem is a min-cost flow (source → reviewer, capacity c; reviewer → application, capacity 1,
cost −affinity; application → sink, k units), solved exactly by OR-Tools' network solver on integer
costs (affinities scaled by a common denominator, so Jaccard values stay exact). A city-sized
instance has tens of millions of pairs, so the flow is solved by pricing: start from each
application's best-matching reviewers, take the node potentials of the optimal flow (shortest
distances in its residual graph), and add every other pair whose reduced cost shows it could
improve the objective, until none can. Then the flow is optimal over all pairs: the answer is exact,
not a heuristic. "Unfilled" arcs with a rising penalty keep every restricted flow feasible; if the
final flow still needs one at the prohibitive penalty, no assignment exists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import csr_array

from grassroots.core.formats import FormatError

#: Application rows priced at once: bounds the memory of the dense affinity block.
CHUNK = 512
#: Largest integer scale of affinities; Jaccard values are exact below it.
MAX_SCALE = 10**7
#: Decimal places kept of affinities given explicitly.
AFFINITY_PLACES = 6


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
    rounds: int = 0  # pricing rounds of the column generation
    columns: int = 0  # pairs the final LP held


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


class _Affinity:
    """Affinity of any block of (application, reviewer) pairs, conflicts masked as -inf."""

    def __init__(
        self,
        papers: Sequence[Paper],
        reviewers: Sequence[Reviewer],
        conflicts: Iterable[tuple[str, str]],
        affinity: dict[tuple[str, str], float],
    ) -> None:
        self.n, self.m = len(papers), len(reviewers)
        vocabulary = sorted({t for p in papers for t in p.topics} | {t for r in reviewers for t in r.expertise})
        index = {t: i for i, t in enumerate(vocabulary)}
        self.topics = _incidence([p.topics for p in papers], index)
        self.expertise_t = _incidence([r.expertise for r in reviewers], index).T.tocsr()
        self.topic_counts = np.asarray(self.topics.sum(axis=1)).ravel()
        self.expertise_counts = np.asarray(self.expertise_t.sum(axis=0)).ravel()
        paper_at = {p.id: i for i, p in enumerate(papers)}
        reviewer_at = {r.id: j for j, r in enumerate(reviewers)}
        self.closed = np.array([r.capacity <= 0 for r in reviewers])
        banned = sorted(
            {paper_at[a] * self.m + reviewer_at[r] for r, a in conflicts if a in paper_at and r in reviewer_at}
        )
        self.banned = np.array(banned, dtype=np.int64)
        fixed = sorted(
            (paper_at[a] * self.m + reviewer_at[r], float(w))
            for (r, a), w in affinity.items()
            if a in paper_at and r in reviewer_at
        )
        self.fixed_keys = np.array([k for k, _ in fixed], dtype=np.int64)
        self.fixed_values = np.array([w for _, w in fixed], dtype=float)

    def block(self, start: int, stop: int) -> np.ndarray:
        """Dense affinities of applications start..stop against every reviewer."""
        inter = (self.topics[start:stop] @ self.expertise_t).toarray().astype(float)
        union = self.topic_counts[start:stop, None] + self.expertise_counts[None, :] - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
        lo, hi = start * self.m, stop * self.m
        for keys, patch in ((self.fixed_keys, self.fixed_values), (self.banned, None)):
            a, b = np.searchsorted(keys, [lo, hi])
            if b > a:
                rows, cols = np.divmod(keys[a:b] - lo, self.m)
                values[rows, cols] = -np.inf if patch is None else patch[a:b]
        values[:, self.closed] = -np.inf
        return values

    def values_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Affinities of the given pairs, block by block."""
        out = np.empty(len(rows))
        for start in range(0, self.n, CHUNK):
            here = (rows >= start) & (rows < start + CHUNK)
            if here.any():
                out[here] = self.block(start, min(self.n, start + CHUNK))[rows[here] - start, cols[here]]
        return out


def _incidence(sets: Sequence[frozenset[str]], index: dict[str, int]) -> csr_array:
    rows = [i for i, s in enumerate(sets) for _ in s]
    cols = [index[t] for s in sets for t in s]
    return csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(sets), max(len(index), 1)))


def affinity_scale(max_union: int, explicit: Iterable[float]) -> int:
    """A common denominator that makes every affinity an integer (approximately, past MAX_SCALE)."""
    scale = math.lcm(*range(1, max(max_union, 1) + 1))
    if any(w != round(w) for w in explicit):
        scale = math.lcm(scale, 10**AFFINITY_PLACES)
    return scale if scale <= MAX_SCALE else MAX_SCALE


def solve_assignment(
    k: int,
    papers: Sequence[Paper],
    reviewers: Sequence[Reviewer],
    conflicts: Iterable[tuple[str, str]] = (),
    affinity: dict[tuple[str, str], float] | None = None,
    *,
    demand: Sequence[int] | None = None,
    initial_per_paper: int | None = None,
    added_per_paper: int = 40,
) -> AssignmentResult:
    """Optimal assignment; raises `Infeasible` when the pool cannot cover every application.

    `demand` gives each application its own number of reviewers still needed (default: k each), which
    is how vacancies left by withdrawn reviewers are filled.
    """
    if k < 1:
        raise ValueError("reviewers_per_application must be at least 1")
    if demand is not None and (len(demand) != len(papers) or any(d < 0 for d in demand)):
        raise ValueError("demand needs one non-negative number per application")
    if len({p.id for p in papers}) != len(papers) or len({r.id for r in reviewers}) != len(reviewers):
        raise ValueError("application and reviewer ids must be unique")
    if not papers:
        return AssignmentResult("optimal", 0.0, [])
    affinity = affinity or {}
    aff = _Affinity(papers, reviewers, conflicts, affinity)
    n, m = aff.n, aff.m
    capacity = np.array([max(r.capacity, 0) for r in reviewers], dtype=np.int64)
    need = np.full(n, k, dtype=np.int64) if demand is None else np.asarray(demand, dtype=np.int64)
    _check_coverage(need, papers, aff, capacity)
    max_union = max((len(p.topics) for p in papers), default=0) + max((len(r.expertise) for r in reviewers), default=0)
    scale = affinity_scale(max_union, affinity.values())

    def integral(values: np.ndarray) -> np.ndarray:
        finite = np.isfinite(values)
        out = np.full(values.shape, np.iinfo(np.int64).min // 4, dtype=np.int64)
        out[finite] = np.rint(values[finite] * scale).astype(np.int64)
        return out

    # Start from each application's best few reviewers.
    width = min(m, initial_per_paper or max(4 * k, 12))
    rows_l, cols_l, w_l = [], [], []
    for start in range(0, n, CHUNK):
        values = aff.block(start, min(n, start + CHUNK))
        top = (
            np.argpartition(-values, width - 1, axis=1)[:, :width]
            if width < m
            else np.tile(np.arange(m), (len(values), 1))
        )
        rows = np.repeat(np.arange(start, start + len(values)), top.shape[1])
        cols = top.ravel()
        w = values[rows - start, cols]
        keep = np.isfinite(w)
        rows_l.append(rows[keep])
        cols_l.append(cols[keep])
        w_l.append(integral(w[keep]))
    pair_rows, pair_cols, pair_w = np.concatenate(rows_l), np.concatenate(cols_l), np.concatenate(w_l)
    top_weight = int(np.abs(pair_w).max()) + 1 if pair_w.size else 1
    # An unfilled seat must cost more than any chain of swaps that could fill it.
    safe_penalty = top_weight * (2 * (n + m) + 1)
    penalty = 4 * top_weight

    rounds = 0
    while True:
        rounds += 1
        flow, potential, unfilled = _min_cost_flow(n, m, need, capacity, pair_rows, pair_cols, pair_w, penalty)
        pi_r, pi_a = potential[1 : 1 + m], potential[1 + m : 1 + m + n]
        present = np.sort(pair_rows.astype(np.int64) * m + pair_cols)
        new_rows, new_cols, new_w = [], [], []
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            values = integral(aff.block(start, stop))
            gain = values - pi_r[None, :] + pi_a[start:stop, None]  # minus the reduced cost of the pair
            a, b = np.searchsorted(present, [start * m, stop * m])
            if b > a:
                r_, c_ = np.divmod(present[a:b] - start * m, m)
                gain[r_, c_] = -1
            cand_r, cand_c = np.nonzero(gain > 0)
            if cand_r.size:
                order = np.lexsort((-gain[cand_r, cand_c], cand_r))
                cand_r, cand_c = cand_r[order], cand_c[order]
                first = np.r_[0, np.flatnonzero(np.diff(cand_r)) + 1]
                rank = np.arange(cand_r.size) - np.repeat(first, np.diff(np.r_[first, cand_r.size]))
                keep = rank < added_per_paper
                new_rows.append(cand_r[keep] + start)
                new_cols.append(cand_c[keep])
                new_w.append(values[cand_r[keep], cand_c[keep]])
        if new_rows:
            pair_rows = np.concatenate([pair_rows, *new_rows])
            pair_cols = np.concatenate([pair_cols, *new_cols])
            pair_w = np.concatenate([pair_w, *new_w])
            continue
        if unfilled.any() and penalty < safe_penalty:
            penalty = min(safe_penalty, penalty * 16)
            continue
        break

    if unfilled.any():
        short = [papers[i].id for i in np.flatnonzero(unfilled)[:3]]
        raise Infeasible(
            "the reviewers' capacities cannot give every application "
            f"the reviewers it needs without a conflict (e.g. {', '.join(short)})"
        )
    chosen = np.flatnonzero(flow)
    assignments = sorted(
        ((reviewers[pair_cols[i]].id, papers[pair_rows[i]].id) for i in chosen), key=lambda p: (p[1], p[0])
    )
    objective = float(aff.values_at(pair_rows[chosen], pair_cols[chosen]).sum())
    return AssignmentResult("optimal", round(objective, 6), assignments, rounds, len(pair_w))


def _min_cost_flow(
    n: int,
    m: int,
    need: np.ndarray,
    capacity: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    w: np.ndarray,
    penalty: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the restricted flow; return the pairs' flows, node potentials and unfilled seats per application.

    Nodes: 0 source, 1..m reviewers, m+1..m+n applications, m+n+1 sink.
    """
    sink = m + n + 1
    apps = 1 + m + np.arange(n)
    tails = np.concatenate([np.zeros(m, np.int64), 1 + cols, apps, np.zeros(n, np.int64)])
    heads = np.concatenate([1 + np.arange(m), 1 + m + rows, np.full(n, sink), apps])
    caps = np.concatenate([capacity, np.ones(len(rows), np.int64), need, need])
    costs = np.concatenate([np.zeros(m, np.int64), -w, np.zeros(n, np.int64), np.full(n, penalty, np.int64)])
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(sink + 1, np.int64)
    supplies[0], supplies[sink] = need.sum(), -need.sum()
    solver.set_nodes_supplies(np.arange(sink + 1), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"the min-cost flow solver stopped with status {status}")
    flow = np.asarray(solver.flows(arcs), dtype=np.int64)
    # Potentials: shortest distances from the source in the residual graph (no negative cycle at an optimum).
    forward, backward = flow < caps, flow > 0
    r_tail = np.concatenate([tails[forward], heads[backward]])
    r_head = np.concatenate([heads[forward], tails[backward]])
    r_cost = np.concatenate([costs[forward], -costs[backward]])
    distance = np.full(sink + 1, np.iinfo(np.int64).max // 4, dtype=np.int64)
    distance[0] = 0
    for _ in range(sink + 2):
        relaxed = distance.copy()
        np.minimum.at(relaxed, r_head, distance[r_tail] + r_cost)
        if np.array_equal(relaxed, distance):
            break
        distance = relaxed
    else:
        raise RuntimeError("the residual graph has a negative cycle: the flow is not optimal")
    pair_flow = flow[m : m + len(rows)]
    unfilled = flow[m + len(rows) + n :]
    return pair_flow, distance, unfilled


def _check_coverage(need: np.ndarray, papers: Sequence[Paper], aff: _Affinity, capacity: np.ndarray) -> None:
    """Name the obvious reasons the pool is too small before asking the solver."""
    open_reviewers = int((~aff.closed).sum())
    most = int(need.max()) if need.size else 0
    if open_reviewers < most:
        raise Infeasible(f"the pool has {open_reviewers} reviewer(s) with capacity; an application needs {most}")
    banned = aff.banned[~aff.closed[aff.banned % aff.m]] if aff.banned.size else aff.banned
    available = open_reviewers - np.bincount(banned // aff.m, minlength=aff.n)
    short = np.flatnonzero(available < need)
    if short.size:
        i = int(short[0])
        raise Infeasible(
            f"application {papers[i].id} has {int(available[i])} reviewer(s) without a conflict; "
            f"{int(need[i])} are needed"
        )
    needed = int(need.sum())
    if capacity.sum() < needed:
        raise Infeasible(f"the pool's total capacity is {int(capacity.sum())} reviews; {needed} are needed")


# -- the plain-file format of `grassroots solve assign` (../shared/contracts/solvers.md) ----------------


@dataclass
class AssignmentProblem:
    k: int
    papers: list[Paper]
    reviewers: list[Reviewer]
    conflicts: set[tuple[str, str]]
    affinity: dict[tuple[str, str], float]


def _strings(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FormatError(f"{where} must be a list of strings")
    return frozenset(value)


def _ident(item: dict[str, object], where: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise FormatError(f"{where} needs a non-empty string id")
    return value


def read_problem(data: object) -> AssignmentProblem:
    """Check and read an assignment file's JSON; raise `FormatError` saying what does not fit."""
    if not isinstance(data, dict):
        raise FormatError("the file must hold a JSON object")
    k = data.get("reviewers_per_application")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise FormatError("reviewers_per_application must be a whole number of at least 1")
    papers, reviewers = [], []
    for i, item in enumerate(_list(data, "applications")):
        where = f"applications[{i}]"
        papers.append(Paper(_ident(item, where), _strings(item.get("topics", []), f"{where}.topics")))
    for i, item in enumerate(_list(data, "reviewers")):
        where = f"reviewers[{i}]"
        capacity = item.get("capacity")
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
            raise FormatError(f"{where}.capacity must be a whole number of at least 0")
        reviewers.append(
            Reviewer(_ident(item, where), _strings(item.get("expertise", []), f"{where}.expertise"), capacity)
        )
    for kind, items in (("application", papers), ("reviewer", reviewers)):
        ids = [x.id for x in items]
        if len(set(ids)) != len(ids):
            raise FormatError(f"{kind} ids must be unique")
    paper_ids, reviewer_ids = {p.id for p in papers}, {r.id for r in reviewers}

    def pair(value: object, where: str, size: int) -> list[object]:
        if not isinstance(value, list) or len(value) != size:
            raise FormatError(f"{where} must be a list of {size} items")
        if value[0] not in reviewer_ids:
            raise FormatError(f"{where} names an unknown reviewer {value[0]!r}")
        if value[1] not in paper_ids:
            raise FormatError(f"{where} names an unknown application {value[1]!r}")
        return value

    conflicts = set()
    for i, value in enumerate(data.get("conflicts", []) or []):
        r, a = pair(value, f"conflicts[{i}]", 2)
        conflicts.add((str(r), str(a)))
    affinity: dict[tuple[str, str], float] = {}
    for i, value in enumerate(data.get("affinity", []) or []):
        r, a, w = pair(value, f"affinity[{i}]", 3)
        if not isinstance(w, int | float) or isinstance(w, bool) or not math.isfinite(w):
            raise FormatError(f"affinity[{i}] must end with a finite number")
        affinity[(str(r), str(a))] = float(w)
    return AssignmentProblem(k, papers, reviewers, conflicts, affinity)


def _list(data: dict[str, object], key: str) -> list[dict[str, object]]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise FormatError(f"{key} must be a list of objects")
    return value


def solve_file(data: object) -> dict[str, object]:
    """Read, solve and render one assignment file (raises FormatError or Infeasible)."""
    problem = read_problem(data)
    result = solve_assignment(problem.k, problem.papers, problem.reviewers, problem.conflicts, problem.affinity)
    return {
        "status": result.status,
        "objective": result.objective,
        "assignments": [[r, a] for r, a in result.assignments],
    }
