"""Scenario parameters: the one table of names, defaults, ranges and meanings, and their validation.

No Django here: the command line, the sweeps and the page all validate through `validate()`, which
refuses unknown names, wrong types and values out of range with a message that names the parameter,
its allowed range and what was given. Labels and help texts are marked for translation so the page
can show them in the reader's language (`core.messages.gettext_noop`).
"""

from __future__ import annotations

import difflib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from grassroots.awards.allocation import RULES
from grassroots.core.messages import Message, gettext_noop

Value = int | float | bool | str

GROUPS = ("city", "behaviour", "policy")
GROUP_LABELS = {
    "city": gettext_noop("City"),
    "behaviour": gettext_noop("Agents' behaviour"),
    "policy": gettext_noop("Policy levers"),
}


@dataclass(frozen=True)
class Param:
    name: str
    group: str
    kind: type  # int, float, bool or str
    default: Value
    label: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def allowed(self) -> Message:
        """The allowed values in words, for error messages and the documentation: English as a `str` (the
        command line), translatable on a page (`core.i18n.render_message`)."""
        if self.kind is bool:
            return Message(ALLOWED_BOOL)
        if self.choices:
            return Message(ALLOWED_CHOICES, choices=", ".join(self.choices))
        template = ALLOWED_WHOLE if self.kind is int else ALLOWED_NUMBER
        return Message(template, low=_num(self.low), high=_num(self.high))


ALLOWED_BOOL = gettext_noop("true or false")
ALLOWED_CHOICES = gettext_noop("one of %(choices)s")
ALLOWED_WHOLE = gettext_noop("a whole number from %(low)s to %(high)s")
ALLOWED_NUMBER = gettext_noop("a number from %(low)s to %(high)s")


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def _p(name: str, group: str, kind: type, default: Value, label: str, help: str, **kw: Any) -> Param:
    return Param(name, group, kind, default, label, help, **kw)


# fmt: off
PARAMS: tuple[Param, ...] = (
    # -- the city -------------------------------------------------------------------------------
    _p("streets", "city", int, 6, gettext_noop("Streets"),
       gettext_noop("Street offices; each bundles its envelope into calls."), low=1, high=200),
    _p("communities", "city", int, 48, gettext_noop("Communities"),
       gettext_noop("Communities, spread over the streets (at least one per street)."), low=1, high=2000),
    _p("residents", "city", int, 96_000, gettext_noop("Residents"),
       gettext_noop("Residents of the city, each an entry of the residents’ arrays."), low=1, high=5_000_000),
    _p("agencies", "city", int, 60, gettext_noop("Agencies at the start"),
       gettext_noop("Social-work agencies active in the first year."), low=1, high=5000),
    _p("categories", "city", int, 6, gettext_noop("Service categories"),
       gettext_noop("Categories of the purchase catalogue."), low=1, high=12),
    _p("budget", "city", float, 12_000_000.0, gettext_noop("Yearly budget (yuan)"),
       gettext_noop("The department’s incremental budget in the first year."), low=0, high=1e11),
    _p("budget_growth", "city", float, 0.0, gettext_noop("Budget growth per year"),
       gettext_noop("0.05 is 5 % more every year."), low=-0.2, high=0.5),
    _p("calls_per_street", "city", int, 3, gettext_noop("Calls per street and year"),
       gettext_noop("Each on one category; at most the number of categories."), low=1, high=12),
    _p("project_size", "city", float, 200_000.0, gettext_noop("Reference project cost (yuan)"),
       gettext_noop("What one year of one project costs an agency of average scale."), low=10_000, high=5_000_000),
    _p("wage", "city", float, 80_000.0, gettext_noop("Social worker's yearly cost (yuan)"),
       gettext_noop("Salary and overheads of one social worker for a year."), low=10_000, high=500_000),
    _p("workers_per_project", "city", float, 2.5, gettext_noop("Social workers per project"),
       gettext_noop("Staff one project of the reference cost employs."), low=0.5, high=20),
    _p("initial_workers", "city", int, 6, gettext_noop("Social workers per agency at the start"),
       gettext_noop("Mean staff of the first year’s agencies."), low=1, high=200),
    _p("charity_per_resident", "city", float, 50.0, gettext_noop("Local funds per resident (yuan)"),
       gettext_noop("What a community of full self-action capacity can raise per resident and year as matching funds."),
       low=0, high=1000),
    # -- the agents' behaviour ------------------------------------------------------------------
    _p("strategy_wide", "behaviour", float, 0.4, gettext_noop("Share competing widely"),
       gettext_noop("Agencies that bid on any call of the city (shares are normalised)."), low=0, high=1),
    _p("strategy_specialise", "behaviour", float, 0.3, gettext_noop("Share specialising"),
       gettext_noop("Agencies that bid only on calls of their own category."), low=0, high=1),
    _p("strategy_partner", "behaviour", float, 0.3, gettext_noop("Share partnering long"),
       gettext_noop("Agencies that bid only in their home street, with a few partner communities."), low=0, high=1),
    _p("strategy_adaptation", "behaviour", float, 0.2, gettext_noop("Strategy imitation"),
       gettext_noop("Chance that an agency with no contract running copies the year’s most successful strategy."),
       low=0, high=1),
    _p("bids_per_agency", "behaviour", int, 4, gettext_noop("Applications per agency and year"),
       gettext_noop("The most applications an agency writes in a year (fewer when it is small)."), low=1, high=50),
    _p("entrants_per_year", "behaviour", float, 3.0, gettext_noop("New agencies per year"),
       gettext_noop("Mean number of agencies founded in a year when half of the applications win."), low=0, high=200),
    _p("exit_after_losses", "behaviour", int, 3, gettext_noop("Years without an award before exit"),
       gettext_noop("An agency with no award and no running project for this many years closes "
                    "(most close sooner, when their unfunded team has shrunk to no one)."), low=1, high=20),
    _p("review_noise", "behaviour", float, 5.0, gettext_noop("Review noise (points)"),
       gettext_noop("Standard deviation of the panel’s score around an application’s merit."), low=0, high=30),
    _p("evaluation_noise", "behaviour", float, 4.0, gettext_noop("Evaluation noise (points)"),
       gettext_noop("Standard deviation of the evaluator’s final score around the delivered results."), low=0, high=30),
    # -- the policy levers ----------------------------------------------------------------------
    _p("evaluation_outputs", "policy", float, 0.5, gettext_noop("Evaluation weight of outputs"),
       gettext_noop("Activities, sessions, people served (the three weights are normalised)."), low=0, high=1),
    _p("evaluation_outcomes", "policy", float, 0.3, gettext_noop("Evaluation weight of outcomes"),
       gettext_noop("Long-term change in the community: needs met, residents organised."), low=0, high=1),
    _p("evaluation_satisfaction", "policy", float, 0.2, gettext_noop("Evaluation weight of satisfaction"),
       gettext_noop("Residents’ satisfaction surveys."), low=0, high=1),
    _p("joint_credit", "policy", bool, False, gettext_noop("Joint credit of community and agency"),
       gettext_noop(
           "The grade credits the community and the agency together: the pair's record of the last three years is "
           "what the next review reads, and a community keeps a partner graded good or better for a while."
       )),
    _p("joint_credit_years", "policy", int, 3, gettext_noop("Years a joint credit holds"),
       gettext_noop(
           "With joint credit: for how many years after its partner's final grade of good or better a community "
           "keeps that partner in the category (refuses other agencies' applications); then the category is open "
           "again."
       ), low=1, high=10),
    _p("past_performance_weight", "policy", float, 0.0, gettext_noop("Weight of past performance in review"),
       gettext_noop("Share of the review score taken by the mean final score of the last three years."),
       low=0, high=0.4),
    _p("performance_default", "policy", float, 75.0, gettext_noop("Past performance of a newcomer"),
       gettext_noop("What the past-performance criterion gives an agency without records."), low=0, high=100),
    _p("contract_years", "policy", int, 1, gettext_noop("Contract length (years)"),
       gettext_noop(
           "A won project is one contract over this many years: its whole amount is awarded from the call, paid "
           "by the tranche schedule over the term; a failed yearly evaluation ends it early."
       ), low=1, high=3),
    _p("competition_intensity", "policy", float, 0.5, gettext_noop("Competition intensity"),
       gettext_noop(
           "How much price decides: the price criterion takes half of this share of the review score, and "
           "margins shrink as it rises."
       ), low=0, high=1),
    _p("matching_ratio", "policy", float, 0.0, gettext_noop("Matching funds required"),
       gettext_noop(
           "Matching funds the partner community must bring, as a share of the request, from what it can raise "
           "in the year."
       ), low=0, high=1),
    _p("street_matching", "policy", float, 0.0, gettext_noop("Street's matching funds"),
       gettext_noop(
           "What the street adds to each contract of its calls, as a share of the amount, from a yearly pool of "
           "this share of its envelope."
       ), low=0, high=1),
    _p("consultation_strength", "policy", float, 0.5, gettext_noop("Strength of democratic consultation"),
       gettext_noop("How faithfully the prioritised needs (and so the calls) follow residents’ real needs."),
       low=0, high=1),
    _p("needs_alignment_required", "policy", bool, False, gettext_noop("Needs alignment required"),
       gettext_noop("An application must answer a prioritised need of its community to be eligible.")),
    _p("capacity_building_share", "policy", float, 0.0, gettext_noop("Capacity-building budget"),
       gettext_noop("Share of the budget spent on training agencies instead of projects."), low=0, high=0.3),
    _p("carry_over", "policy", bool, True, gettext_noop("Carry unspent funds over"),
       gettext_noop(
           "What a street's calls leave unawarded goes into its next year's envelope; otherwise it returns to "
           "the treasury."
       )),
    _p("allocation_rule", "policy", str, "rank_order", gettext_noop("Allocation rule"),
       gettext_noop("The platform’s allocation: down the ranking, or the largest total score."), choices=RULES),
    _p("min_score", "policy", float, 60.0, gettext_noop("Minimum review score"),
       gettext_noop("Applications below it are never funded."), low=0, high=100),
    _p("max_awards_per_agency", "policy", int, 0, gettext_noop("Awards per agency and call"),
       gettext_noop("The most awards one agency may win in a call; 0 for no limit."), low=0, high=100),
)
# fmt: on

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}
DEFAULTS: dict[str, Value] = {p.name: p.default for p in PARAMS}
EVALUATION_WEIGHTS = ("evaluation_outputs", "evaluation_outcomes", "evaluation_satisfaction")
STRATEGIES = ("strategy_wide", "strategy_specialise", "strategy_partner")

SCENARIO_KEYS = ("name", "description", "description_zh")  # besides the parameters (or tables of them named by group)


class ParameterError(ValueError):
    """One or more parameters do not fit; `messages` says which, what is allowed and what was given."""

    def __init__(self, messages: list[Message]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


UNKNOWN = gettext_noop("unknown parameter “%(name)s”")
UNKNOWN_CLOSE = gettext_noop("unknown parameter “%(name)s” (did you mean “%(close)s”?)")
WRONG_TYPE = gettext_noop("%(name)s must be %(allowed)s; got %(given)s")
OUT_OF_RANGE = gettext_noop("%(name)s must be %(allowed)s; got %(given)s")
WEIGHTS_ZERO = gettext_noop("the evaluation weights (%(names)s) cannot all be 0")
STRATEGIES_ZERO = gettext_noop("the strategy shares (%(names)s) cannot all be 0")
TOO_MANY_CALLS = gettext_noop("calls_per_street (%(calls)s) cannot exceed categories (%(categories)s)")
TOO_FEW_COMMUNITIES = gettext_noop("communities (%(communities)s) must be at least streets (%(streets)s)")
TOO_FEW_RESIDENTS = gettext_noop("residents (%(residents)s) must be at least communities (%(communities)s)")


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value}”"
    return f"{value!r} ({type(value).__name__})" if not isinstance(value, int | float) else repr(value)


def _check(param: Param, value: Any) -> tuple[Value | None, Message | None]:
    wrong = Message(WRONG_TYPE, name=param.name, allowed=param.allowed(), given=shown(value))
    if param.kind is bool:
        return (value, None) if isinstance(value, bool) else (None, wrong)
    if param.kind is str:
        if not isinstance(value, str):
            return None, wrong
        if value not in param.choices:
            return None, Message(OUT_OF_RANGE, name=param.name, allowed=param.allowed(), given=shown(value))
        return value, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, wrong
    given = value
    if param.kind is int:
        if isinstance(value, float):
            if not value.is_integer():
                return None, wrong
            value = int(value)
    else:
        value = float(value)
    if (
        not math.isfinite(value)
        or (param.low is not None and value < param.low)
        or (param.high is not None and value > param.high)
    ):
        return None, Message(OUT_OF_RANGE, name=param.name, allowed=param.allowed(), given=shown(given))
    return value, None


def validate(overrides: Mapping[str, Any]) -> dict[str, Value]:
    """The full parameter set: the defaults with `overrides`; raises `ParameterError` naming every problem."""
    problems: list[Message] = []
    values: dict[str, Value] = dict(DEFAULTS)
    for name, raw in overrides.items():
        param = BY_NAME.get(name)
        if param is None:
            close = difflib.get_close_matches(name, BY_NAME, n=1)
            problems.append(Message(UNKNOWN_CLOSE, name=name, close=close[0]) if close else Message(UNKNOWN, name=name))
            continue
        value, problem = _check(param, raw)
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            values[name] = value
    if not problems:
        problems.extend(_cross_checks(values))
    if problems:
        raise ParameterError(problems)
    return values


def _cross_checks(v: Mapping[str, Value]) -> list[Message]:
    problems = []
    if not any(float(v[n]) > 0 for n in EVALUATION_WEIGHTS):
        problems.append(Message(WEIGHTS_ZERO, names=", ".join(EVALUATION_WEIGHTS)))
    if not any(float(v[n]) > 0 for n in STRATEGIES):
        problems.append(Message(STRATEGIES_ZERO, names=", ".join(STRATEGIES)))
    if int(v["calls_per_street"]) > int(v["categories"]):
        problems.append(Message(TOO_MANY_CALLS, calls=v["calls_per_street"], categories=v["categories"]))
    if int(v["communities"]) < int(v["streets"]):
        problems.append(Message(TOO_FEW_COMMUNITIES, communities=v["communities"], streets=v["streets"]))
    if int(v["residents"]) < int(v["communities"]):
        problems.append(Message(TOO_FEW_RESIDENTS, residents=v["residents"], communities=v["communities"]))
    return problems


def parse_value(name: str, text: str) -> Any:
    """A value typed on the command line (`--sweep contract_years=1,2,3`) in the parameter's own type."""
    param = BY_NAME.get(name)
    text = text.strip()
    if param is not None and param.kind is bool:
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        return text
    if param is not None and param.kind is str:
        return text
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


# -- scenarios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    params: dict[str, Value]
    description_zh: str = ""  # the description in Chinese, for the page

    def overrides(self) -> dict[str, Value]:
        """The parameters that differ from the defaults."""
        return {k: v for k, v in self.params.items() if DEFAULTS[k] != v}


class ScenarioError(ValueError):
    """A scenario file or name that cannot be read."""


def shipped() -> list[str]:
    """The names of the scenarios shipped with the package (package data)."""
    folder = resources.files("grassroots.simulation").joinpath("data", "scenarios")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def _flatten(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in SCENARIO_KEYS:
            continue
        if key in GROUPS and isinstance(value, dict):
            for name, inner in value.items():
                flat[name] = inner
        else:
            flat[key] = value
    return flat


def scenario_from_data(data: Mapping[str, Any], default_name: str) -> Scenario:
    """A scenario from a parsed file: optional `name` and `description`, then parameters, flat or in
    tables named by group (`[city]`, `[behaviour]`, `[policy]`)."""
    name = data.get("name", default_name)
    description = data.get("description", "")
    description_zh = data.get("description_zh", "")
    if not all(isinstance(v, str) for v in (name, description, description_zh)):
        raise ScenarioError("a scenario's name and descriptions must be text")
    return Scenario(name, description, validate(_flatten(data, name)), description_zh)


def load(name_or_path: str) -> Scenario:
    """A shipped scenario by name, or a TOML or JSON file; raises `ScenarioError` or `ParameterError`."""
    path = Path(name_or_path)
    if path.suffix.lower() in (".toml", ".json") or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"cannot read {name_or_path}: {exc.strerror}") from None
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ScenarioError(f"{name_or_path} is not valid {path.suffix.lstrip('.').upper()}: {exc}") from None
        if not isinstance(data, dict):
            raise ScenarioError(f"{name_or_path} must hold a table of parameters")
        return scenario_from_data(data, path.stem)
    names = shipped()
    if name_or_path not in names:
        raise ScenarioError(f"no scenario “{name_or_path}”: use a file, or one of {', '.join(names)}")
    text = (
        resources.files("grassroots.simulation")
        .joinpath("data", "scenarios", f"{name_or_path}.toml")
        .read_text(encoding="utf-8")
    )
    return scenario_from_data(tomllib.loads(text), name_or_path)
