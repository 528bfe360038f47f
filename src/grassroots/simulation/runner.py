"""Runs, sweeps and their outputs: metrics.csv, ledger.csv, summary.json, summary.md and plots.

Every run is a task (parameters, years, seed, run number) that any process can execute on its own: run
r of seed S draws from `SeedSequence(S, spawn_key=(r,))`, so a result never depends on which worker ran
it, in what order, or which sweep point it belongs to (every point sees the same random draws for the
same run: common random numbers, so differences between points come from the parameters). Tasks run
in this process, in a pool of processes (`concurrent.futures.ProcessPoolExecutor`), or on the Dask or
Ray cluster that `clusters` finds configured.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from grassroots.core.messages import Message, gettext_noop
from grassroots.governance import metrics

from . import model
from .clusters import on_cluster
from .params import ParameterError, Scenario, Value, parse_value, validate

STATE_COLUMNS = (
    "active_agencies",
    "social_workers",
    "mean_capacity",
    "mean_professional_capacity",
    "running",
    "share_wide",
    "share_specialise",
    "share_partner",
)
MAX_YEARS = 200
MAX_RUNS = 1000

BAD_SWEEP = gettext_noop("a sweep is written param=v1,v2,...; got “%(text)s”")
BAD_SWEEP_FILE = gettext_noop("cannot read the sweep file %(path)s: %(why)s")
SWEEP_FILE_SHAPE = gettext_noop("a sweep file holds param = [v1, v2, ...] entries: %(path)s")
YEARS_RANGE = gettext_noop("years must be a whole number from 1 to %(max)s; got %(v)s")
RUNS_RANGE = gettext_noop("runs must be a whole number from 1 to %(max)s; got %(v)s")
SEED_RANGE = gettext_noop("seed must be a whole number from 0 to %(max)s; got %(v)s")
WORKERS_RANGE = gettext_noop("workers must be a whole number of at least 1; got %(v)s")
ONE_VALUE = gettext_noop("--set gives a parameter one value (several are a --sweep); got “%(text)s”")
BUDGET_TOO_LARGE = gettext_noop(
    "budget %(budget)s growing by budget_growth %(growth)s for %(years)s years reaches %(top)s yuan a year, "
    "more than the simulator counts to the cent (%(max)s): lower one of them"
)
MAX_SEED = 2**63 - 1
MAX_CENTS = 2**53  # the ledgers sum cents in float64 arrays: exact below this


@dataclass(frozen=True)
class Task:
    point: int  # index of the sweep point (0 without a sweep)
    params: Mapping[str, Value]
    years: int
    seed: int
    run: int


@dataclass
class RunResult:
    point: int
    run: int
    metrics: list[dict[str, float | None]]  # per year, in order
    ledger: list[dict[str, int]]
    state: list[dict[str, float]]
    agent_years: int = 0


def run_task(task: Task) -> RunResult:
    """One run of one parameter set (a plain function, so that other processes and clusters can call it)."""
    seed = np.random.SeedSequence(task.seed, spawn_key=(task.run,))
    years = model.simulate(task.params, task.years, seed)
    return RunResult(
        task.point,
        task.run,
        [y.metrics for y in years],
        [y.ledger for y in years],
        [y.state for y in years],
        sum(y.agents for y in years),
    )


# -- executing tasks ------------------------------------------------------------------------------


class Progress:
    """A small progress bar on stderr: `label [#####.....] 12/40 3.1 s`; silent when disabled."""

    def __init__(self, total: int, label: str, enabled: bool, stream: TextIO | None = None) -> None:
        self.total, self.label, self.enabled = total, label, enabled
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        width = 30
        filled = round(width * self.done / self.total) if self.total else width
        elapsed = time.perf_counter() - self.started
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {elapsed:.1f} s")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def execute(tasks: Sequence[Task], workers: int = 1, on_done: Callable[[], None] | None = None) -> list[RunResult]:
    """Run every task and return the results in the tasks' order."""
    tick = on_done or (lambda: None)
    results: list[RunResult | None] = [None] * len(tasks)
    cluster = on_cluster(run_task, tasks)
    if cluster is not None:
        for i, result in cluster:
            results[i] = result
            tick()
    elif workers <= 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            results[i] = run_task(task)
            tick()
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            pending = {pool.submit(run_task, task): i for i, task in enumerate(tasks)}
            for future in as_completed(pending):
                results[pending[future]] = future.result()
                tick()
    return [r for r in results if r is not None]


# -- sweeps ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    label: str
    overrides: dict[str, Value]
    params: dict[str, Value]


def parse_sweep(texts: Iterable[str]) -> dict[str, list[Any]]:
    """`param=v1,v2,...` options into {param: [values]}; raises ParameterError for a malformed one."""
    sweep: dict[str, list[Any]] = {}
    for text in texts:
        name, sep, values = text.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ParameterError([Message(BAD_SWEEP, text=text)])
        sweep[name] = [parse_value(name, v) for v in values.split(",") if v.strip()]
    return sweep


def parse_settings(texts: Iterable[str]) -> dict[str, Any]:
    """`--set param=value` options into {param: value}; several values for one parameter are refused."""
    settings: dict[str, Any] = {}
    for text in texts:
        [(name, values)] = parse_sweep([text]).items()
        if len(values) != 1:
            raise ParameterError([Message(ONE_VALUE, text=text)])
        settings[name] = values[0]
    return settings


def budget_problem(params: Mapping[str, Value], years: int) -> Message | None:
    """A budget that would outgrow exact cents within `years` (the ledgers must balance to the cent)."""
    budget, growth = float(params["budget"]), float(params["budget_growth"])
    top = budget * max(1.0, (1.0 + growth) ** (years - 1))
    if top * 100 < MAX_CENTS:
        return None
    return Message(
        BUDGET_TOO_LARGE, budget=budget, growth=growth, years=years, top=f"{top:.3g}", max=f"{MAX_CENTS / 100:.3g}"
    )


def load_sweep_file(path: str) -> dict[str, list[Any]]:
    """A sweep file: TOML or JSON, a table of {param: [values]}."""
    import tomllib

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise ParameterError([Message(BAD_SWEEP_FILE, path=path, why=exc)]) from None
    if not isinstance(data, dict) or not all(isinstance(v, list) and v for v in data.values()):
        raise ParameterError([Message(SWEEP_FILE_SHAPE, path=path)])
    return {str(k): list(v) for k, v in data.items()}


def sweep_points(base: Mapping[str, Value], sweep: Mapping[str, Sequence[Any]]) -> list[Point]:
    """Every combination of the swept values over the base parameters, each validated."""
    if not sweep:
        return [Point("", {}, dict(base))]
    names = list(sweep)
    points = []
    problems: list[Message] = []
    for combo in itertools.product(*(sweep[n] for n in names)):
        overrides = dict(zip(names, combo, strict=True))
        label = ",".join(f"{n}={_show(v)}" for n, v in overrides.items())
        try:
            points.append(Point(label, overrides, validate({**base, **overrides})))
        except ParameterError as exc:
            problems.extend(m for m in exc.messages if m not in problems)
    if problems:
        raise ParameterError(problems)
    return points


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def folder_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=,-]+", "_", label) or "scenario"


# -- summaries ------------------------------------------------------------------------------------


def interval(values: Sequence[float]) -> dict[str, float | int | None]:
    """Mean and its 95 % confidence interval over runs (Student's t); the mean alone for one run."""
    n = len(values)
    if n == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = math.fsum(values) / n
    if n == 1:
        return {"mean": mean, "low": mean, "high": mean, "n": 1}
    from scipy import stats  # imported here: the command line starts faster without it

    sd = float(np.std(values, ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}


def per_year(results: Sequence[RunResult], years: int) -> dict[str, list[dict[str, Any]]]:
    """For each metric, its mean and 95 % interval across runs in each year."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in metrics.NAMES:
        rows = []
        for y in range(years):
            values = [r.metrics[y][name] for r in results if r.metrics[y][name] is not None]
            rows.append({"year": y + 1, **interval([float(v) for v in values if v is not None])})
        out[name] = rows
    return out


def first_and_last(series: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The first year a metric has a value (the second for the year-on-year ones) and the last year."""
    out = {}
    for name, rows in series.items():
        known = [r for r in rows if r["n"]]
        out[name] = {"first": known[0] if known else None, "last": rows[-1] if rows else None}
    return out


def summary(scenario: Scenario, point: Point, years: int, seed: int, results: Sequence[RunResult]) -> dict[str, Any]:
    series = per_year(results, years)
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "sweep_point": point.overrides,
        "parameters": point.params,
        "years": years,
        "runs": len(results),
        "seed": seed,
        "metrics": first_and_last(series),
        "per_year": series,
    }


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def summary_markdown(data: Mapping[str, Any]) -> str:
    title = data["scenario"] + (
        f" ({', '.join(f'{k}={_show(v)}' for k, v in data['sweep_point'].items())})" if data["sweep_point"] else ""
    )
    lines = [
        f"# {title}",
        "",
        data["description"] or "",
        "",
        f"{data['runs']} runs of {data['years']} years from seed {data['seed']}; mean over runs and its 95 % "
        "confidence interval (Student's t). First is the first year a metric has a value.",
        "",
        "| metric | first year | mean [95 % CI] | last year | mean [95 % CI] |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in metrics.NAMES:
        first, last = data["metrics"][name]["first"], data["metrics"][name]["last"]

        def cell(s: Mapping[str, Any] | None) -> tuple[str, str]:
            if not s or not s["n"]:
                return ("—", "—")
            return (str(s["year"]), f"{_fmt(s['mean'])} [{_fmt(s['low'])}, {_fmt(s['high'])}]")

        f_year, f_val = cell(first)
        l_year, l_val = cell(last)
        lines.append(f"| `{name}` | {f_year} | {f_val} | {l_year} | {l_val} |")
    return "\n".join(lines) + "\n"


# -- writing --------------------------------------------------------------------------------------


def write_metrics_csv(
    path: Path, results: Sequence[RunResult], extra: Mapping[int, Mapping[str, Any]] | None = None
) -> None:
    """metrics.csv: run, year, then one column per metric in the contract's order (empty for null)."""
    sweep_names = list(next(iter(extra.values())).keys()) if extra else []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*sweep_names, "run", "year", *metrics.NAMES])
        for r in results:
            before = [_show(extra[r.point][n]) for n in sweep_names] if extra else []
            for y, values in enumerate(r.metrics, start=1):
                writer.writerow(
                    [*before, r.run, y, *("" if values[n] is None else repr(values[n]) for n in metrics.NAMES)]
                )


def write_ledger_csv(path: Path, results: Sequence[RunResult]) -> None:
    """ledger.csv: run, year, the year's money in yuan (exact to the cent) and a few state figures."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run", "year", *model.LEDGER, *STATE_COLUMNS])
        for r in results:
            for y, (ledger, state) in enumerate(zip(r.ledger, r.state, strict=True), start=1):
                money = [f"{ledger[k] // 100}.{ledger[k] % 100:02d}" for k in model.LEDGER]
                writer.writerow([r.run, y, *money, *(f"{state[k]:.6g}" for k in STATE_COLUMNS)])


def write_outputs(folder: Path, data: Mapping[str, Any], results: Sequence[RunResult], plots: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_metrics_csv(folder / "metrics.csv", results)
    write_ledger_csv(folder / "ledger.csv", results)
    (folder / "summary.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "summary.md").write_text(summary_markdown(data), encoding="utf-8")
    if plots:
        from .plots import metrics_figure

        (folder / "metrics.png").write_bytes(metrics_figure({data["scenario"]: data["per_year"]}))


@dataclass
class Outcome:
    points: list[Point]
    results: list[RunResult]
    summaries: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def simulate(
    scenario: Scenario,
    *,
    years: int,
    seed: int,
    runs: int,
    out: Path,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    workers: int = 1,
    plots: bool = True,
    progress: bool = False,
) -> Outcome:
    """Run a scenario (or a sweep over it) and write its outputs into `out`."""
    problems = []
    if not 1 <= years <= MAX_YEARS:
        problems.append(Message(YEARS_RANGE, max=MAX_YEARS, v=years))
    if not 1 <= runs <= MAX_RUNS:
        problems.append(Message(RUNS_RANGE, max=MAX_RUNS, v=runs))
    if not 0 <= seed <= MAX_SEED:
        problems.append(Message(SEED_RANGE, max=MAX_SEED, v=seed))
    if workers < 1:
        problems.append(Message(WORKERS_RANGE, v=workers))
    if problems:
        raise ParameterError(problems)
    points = sweep_points(scenario.params, sweep or {})
    problems = [m for p in points if (m := budget_problem(p.params, years)) is not None]
    if problems:
        raise ParameterError(problems[:1])
    tasks = [Task(i, p.params, years, seed, r) for i, p in enumerate(points) for r in range(runs)]
    bar = Progress(len(tasks), "simulating", progress)
    started = time.perf_counter()
    results = execute(tasks, workers, bar.advance)
    outcome = Outcome(points, results, seconds=time.perf_counter() - started)
    out.mkdir(parents=True, exist_ok=True)
    for i, point in enumerate(points):
        mine = [r for r in results if r.point == i]
        data = summary(scenario, point, years, seed, mine)
        outcome.summaries.append(data)
        write_outputs(out / folder_name(point.label) if point.label else out, data, mine, plots)
    if len(points) > 1:
        write_metrics_csv(out / "sweep.csv", results, {i: p.overrides for i, p in enumerate(points)})
        (out / "sweep.md").write_text(sweep_markdown(scenario, outcome), encoding="utf-8")
        if plots:
            from .plots import metrics_figure

            series = {p.label: s["per_year"] for p, s in zip(points, outcome.summaries, strict=True)}
            (out / "sweep.png").write_bytes(metrics_figure(series))
    return outcome


def sweep_markdown(scenario: Scenario, outcome: Outcome) -> str:
    header = ["metric (last year)", *(p.label for p in outcome.points)]
    lines = [
        f"# Sweep over {scenario.name}",
        "",
        "Mean over runs of each metric in the last year, with its 95 % confidence interval.",
        "",
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for name in metrics.NAMES:
        cells = []
        for s in outcome.summaries:
            last = s["metrics"][name]["last"]
            cells.append(
                "—"
                if not last or not last["n"]
                else f"{_fmt(last['mean'])} [{_fmt(last['low'])}, {_fmt(last['high'])}]"
            )
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
