"""Running comparisons from the page: request one, run it (in a background thread, or at once), record it.

A comparison runs two scenarios with the same years, runs and seed. Page runs are kept small (LIMITS) so
that one finishes within seconds; larger studies belong to `grassroots simulate`, which uses every core
or a cluster. The run happens after the request's transaction commits, in a daemon thread of the web
process by default (`GRASSROOTS["SIMULATION_IN_BACKGROUND"]`; tests run it at once). There is no
Celery in the project yet: a run whose process stopped stays "running" and is shown as interrupted
once it is older than `STALE_AFTER`.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import render_message
from grassroots.core.messages import Message
from grassroots.core.permissions import require
from grassroots.core.transitions import transition

from . import params, runner
from .models import SimulationRun
from .selectors import can_simulate

#: The largest comparison a page may run.
LIMITS: dict[str, int] = {
    "years": 20,
    "runs": 10,
    "streets": 30,
    "communities": 120,
    "agencies": 200,
    "residents": 200_000,
}
STALE_AFTER = timedelta(minutes=10)


def _check_size(side: str, values: dict[str, Any]) -> list[str]:
    problems = []
    for name in ("streets", "communities", "agencies", "residents"):
        if int(values[name]) > LIMITS[name]:
            problems.append(
                _("Scenario %(side)s: %(name)s is %(value)s; a page runs at most %(limit)s (the command line more).")
                % {"side": side, "name": name, "value": values[name], "limit": LIMITS[name]}
            )
    return problems


def scenario_params(name: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A shipped scenario's parameters with `changes`; raises RuleViolation naming what does not fit."""
    try:
        scenario = params.load(name) if name in params.shipped() else None
    except (params.ScenarioError, params.ParameterError) as exc:
        raise RuleViolation(str(exc)) from None
    if scenario is None:
        raise RuleViolation(_("There is no scenario “%(name)s”.") % {"name": name})
    try:
        return params.validate({**scenario.params, **changes})
    except params.ParameterError as exc:
        raise RuleViolation([problem_text(m) for m in exc.messages]) from None


def problem_text(message: Message) -> str:
    """A parameter problem in the reader's language, with the allowed values in it translated too (they are
    a message inside the message, kept in English for the command line)."""
    data = message.as_data()
    param = params.BY_NAME.get(data["params"].get("name", ""))
    if param is not None and "allowed" in data["params"]:
        data = {**data, "params": {**data["params"], "allowed": render_message(param.allowed())}}
    return render_message(data)


def request_run(
    actor: Any,
    *,
    left: str,
    left_changes: dict[str, Any],
    right: str,
    right_changes: dict[str, Any],
    years: int,
    runs: int,
    seed: int,
) -> SimulationRun:
    """Record a comparison of two scenarios and start it once the request commits."""
    require(
        can_simulate(actor), _("Only officers of a department or street office, and staff, use the policy simulator.")
    )
    problems: list[str] = []
    sides = {}
    for side, name, changes in (("A", left, left_changes), ("B", right, right_changes)):
        try:
            sides[side] = scenario_params(name, changes)
        except RuleViolation as exc:
            problems.extend(_("Scenario %(side)s: %(problem)s") % {"side": side, "problem": m} for m in exc.messages)
            continue
        problems.extend(_check_size(side, sides[side]))
    if not 1 <= years <= LIMITS["years"]:
        problems.append(_("Years must be from 1 to %(limit)s on this page.") % {"limit": LIMITS["years"]})
    if not 1 <= runs <= LIMITS["runs"]:
        problems.append(_("Runs must be from 1 to %(limit)s on this page.") % {"limit": LIMITS["runs"]})
    if not 0 <= seed <= runner.MAX_SEED:
        problems.append(_("The seed must be from 0 to %(max)s.") % {"max": runner.MAX_SEED})
    for side, values in sides.items():
        too_large = runner.budget_problem(values, years) if years >= 1 else None
        if too_large is not None:
            problems.append(_("Scenario %(side)s: %(problem)s") % {"side": side, "problem": render_message(too_large)})
    if problems:
        raise RuleViolation(problems)
    with transaction.atomic():
        run = SimulationRun.objects.create(
            requested_by=actor,
            years=years,
            runs=runs,
            seed=seed,
            left_scenario=left,
            left_changes=left_changes,
            right_scenario=right,
            right_changes=right_changes,
        )
        record(
            actor,
            "simulationrun.requested",
            run,
            after={"left": left, "left_changes": left_changes, "right": right, "right_changes": right_changes,
                   "years": years, "runs": runs, "seed": seed},
        )  # fmt: skip
        transaction.on_commit(lambda: launch(run.pk))
    return run


def launch(pk: int) -> None:
    """Run the comparison in a daemon thread, or at once when background runs are switched off."""
    if settings.GRASSROOTS.get("SIMULATION_IN_BACKGROUND", True):
        threading.Thread(target=_in_thread, args=(pk,), name=f"simulation-{pk}", daemon=True).start()
    else:
        execute_run(pk)


def _in_thread(pk: int) -> None:
    close_old_connections()
    try:
        execute_run(pk)
    finally:
        connection.close()


def compare(run: SimulationRun) -> dict[str, Any]:
    """Both scenarios' per-year metrics (mean and 95 % interval over runs) and first/last-year summaries."""
    out: dict[str, Any] = {}
    for side, name, changes in (
        ("left", run.left_scenario, run.left_changes),
        ("right", run.right_scenario, run.right_changes),
    ):
        values = scenario_params(name, changes)
        tasks = [runner.Task(0, values, run.years, run.seed, r) for r in range(run.runs)]
        results = runner.execute(tasks, workers=1)
        series = runner.per_year(results, run.years)
        out[side] = {"scenario": name, "changes": changes, "per_year": series, "metrics": runner.first_and_last(series)}
    return out


def execute_run(pk: int) -> None:
    """Run a queued comparison and store its results; a failure is recorded with its reason."""
    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().get(pk=pk)
        if run.state != SimulationRun.State.QUEUED:
            return
        transition(run, SimulationRun.State.RUNNING, actor=run.requested_by, fields={"started_at": timezone.now()})
    try:
        results = compare(run)
    except Exception as exc:  # the run fails with its reason; the page shows it
        with transaction.atomic():
            transition(
                run,
                SimulationRun.State.FAILED,
                actor=run.requested_by,
                fields={"error": f"{type(exc).__name__}: {exc}", "finished_at": timezone.now()},
            )
        return
    with transaction.atomic():
        run.results = results
        run.save(update_fields=["results"])
        transition(run, SimulationRun.State.DONE, actor=run.requested_by, fields={"finished_at": timezone.now()})


def is_stale(run: SimulationRun) -> bool:
    """A run still queued or running long after it was asked for: its process stopped."""
    unfinished = run.state in (SimulationRun.State.QUEUED, SimulationRun.State.RUNNING)
    return unfinished and timezone.now() - run.created_at > STALE_AFTER
