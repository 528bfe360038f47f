"""The policy simulator's pages: start a comparison of two scenarios, follow it, and read it side by side.

Officers of a department or street office and staff use them (`selectors.can_simulate`); anyone else is
refused with 403. Views are thin: the run is asked for through `services.request_run`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import render_message
from grassroots.governance import metrics
from grassroots.governance.labels import SHOWN
from grassroots.web.refusals import refused

from . import params, selectors, services
from .forms import ComparisonForm
from .models import SimulationRun
from .plots import cjk_font, metrics_figure


def _allowed(request: HttpRequest) -> None:
    if not selectors.can_simulate(request.user):
        raise PermissionDenied(
            _("Only officers of a department or street office, and staff, use the policy simulator.")
        )


def _description(scenario: params.Scenario) -> str:
    chinese = (get_language() or "").startswith("zh")
    return scenario.description_zh if chinese and scenario.description_zh else scenario.description


def _parameter_rows() -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "group": _(params.GROUP_LABELS[p.group]),
            "label": _(p.label),
            "help": _(p.help),
            "default": params.shown(p.default) if isinstance(p.default, bool | str) else p.default,
            "allowed": render_message(p.allowed()),
        }
        for p in params.PARAMS
    ]


@login_required
@require_http_methods(["GET", "POST"])
def simulation_home(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    status = 200
    if request.method == "POST":
        form = ComparisonForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = services.request_run(
                    request.user,
                    left=data["left"],
                    left_changes=data["left_changes"],
                    right=data["right"],
                    right_changes=data["right_changes"],
                    years=data["years"],
                    runs=data["runs"],
                    seed=data["seed"],
                )
            except (RuleViolation, PermissionDenied) as problem:
                status = refused(request, problem)
            else:
                return redirect("simulation-run", run.pk)
        else:
            status = 400
    else:
        form = ComparisonForm(initial={"left": "price_competition", "right": "joint_long_term"})
    scenarios = [params.load(name) for name in params.shipped()]
    context = {
        "form": form,
        "sides": [(form["left"], form["left_changes"]), (form["right"], form["right_changes"])],
        "sizes": [form["years"], form["runs"], form["seed"]],
        "scenarios": [(s.name, _description(s)) for s in scenarios],
        "runs": [(run, services.is_stale(run)) for run in selectors.recent_runs()],
        "parameters": _parameter_rows(),
        "limits": services.LIMITS,
    }
    return render(request, "simulation/home.html", context, status=status)


def _cell(stat: dict[str, Any] | None) -> dict[str, Any] | None:
    return stat if stat and stat.get("n") else None


@login_required
@require_GET
def simulation_run(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    run = get_object_or_404(SimulationRun.objects.select_related("requested_by"), pk=pk)
    rows = []
    if run.state == SimulationRun.State.DONE:
        left, right = run.results["left"]["metrics"], run.results["right"]["metrics"]
        for name in metrics.NAMES:
            a_last, b_last = _cell(left[name]["last"]), _cell(right[name]["last"])
            difference = b_last["mean"] - a_last["mean"] if a_last and b_last else None
            cells = [_cell(left[name]["first"]), a_last, _cell(right[name]["first"]), b_last]
            rows.append({"name": name, "label": SHOWN[name].label, "cells": cells, "difference": difference})
    finished = run.state in (SimulationRun.State.DONE, SimulationRun.State.FAILED)
    shipped = params.shipped()
    left = params.load(run.left_scenario) if run.left_scenario in shipped else None
    right = params.load(run.right_scenario) if run.right_scenario in shipped else None
    context = {
        "run": run,
        "rows": rows,
        "stale": services.is_stale(run),
        "refresh": not finished and not services.is_stale(run),
        "left_description": _description(left) if left else "",
        "right_description": _description(right) if right else "",
    }
    return render(request, "simulation/run.html", context)


@login_required
@require_GET
def simulation_plot(request: HttpRequest, pk: int) -> HttpResponse:
    """Both scenarios' metrics over the years with their 95 % bands, in the reader's language."""
    _allowed(request)
    run = get_object_or_404(SimulationRun, pk=pk, state=SimulationRun.State.DONE)
    series = {
        f"A · {run.left_scenario}": run.results["left"]["per_year"],
        f"B · {run.right_scenario}": run.results["right"]["per_year"],
    }
    if not (get_language() or "").startswith("zh") or cjk_font():
        png = metrics_figure(series, label=lambda m: str(SHOWN[m.name].label), year_label=_("year"))
    else:  # no font with Chinese glyphs on this machine: the plot keeps the English labels
        png = metrics_figure(series)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
