"""Parameter validation names the parameter, what is allowed and what was given; scenarios load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grassroots.simulation import params


def problems(overrides: dict[str, object]) -> list[str]:
    with pytest.raises(params.ParameterError) as caught:
        params.validate(overrides)
    return [str(m) for m in caught.value.messages]


def test_the_defaults_are_valid_and_complete() -> None:
    values = params.validate({})
    assert values == params.DEFAULTS
    assert len(params.PARAMS) == len(params.BY_NAME)  # no name twice


def test_an_unknown_parameter_is_named_with_a_suggestion() -> None:
    assert problems({"contract_year": 2}) == ["unknown parameter “contract_year” (did you mean “contract_years”?)"]
    assert problems({"zzz": 1}) == ["unknown parameter “zzz”"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("contract_years", 4, "contract_years must be a whole number from 1 to 3; got 4"),
        ("contract_years", 0, "contract_years must be a whole number from 1 to 3; got 0"),
        ("competition_intensity", 1.5, "competition_intensity must be a number from 0 to 1; got 1.5"),
        ("past_performance_weight", -0.1, "past_performance_weight must be a number from 0 to 0.4; got -0.1"),
        ("capacity_building_share", 0.5, "capacity_building_share must be a number from 0 to 0.3; got 0.5"),
        ("allocation_rule", "lottery", "allocation_rule must be one of rank_order, max_total_score; got “lottery”"),
    ],
)
def test_a_value_out_of_range_names_the_range_and_the_value(name: str, value: object, expected: str) -> None:
    assert problems({name: value}) == [expected]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("contract_years", 1.5, "contract_years must be a whole number from 1 to 3; got 1.5"),
        ("contract_years", True, "contract_years must be a whole number from 1 to 3; got true"),
        ("contract_years", "2", "contract_years must be a whole number from 1 to 3; got “2”"),
        ("joint_credit", 1, "joint_credit must be true or false; got 1"),
        ("budget", None, "budget must be a number from 0 to 100000000000; got None (NoneType)"),
        ("allocation_rule", 3, "allocation_rule must be one of rank_order, max_total_score; got 3"),
    ],
)
def test_a_wrong_type_is_refused_with_what_was_given(name: str, value: object, expected: str) -> None:
    assert problems({name: value}) == [expected]


def test_whole_floats_and_ints_are_accepted_in_their_type() -> None:
    values = params.validate({"contract_years": 2.0, "competition_intensity": 1})
    assert values["contract_years"] == 2 and isinstance(values["contract_years"], int)
    assert values["competition_intensity"] == 1.0 and isinstance(values["competition_intensity"], float)


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"contract_years": 9, "bogus": 1, "joint_credit": "yes"})
    assert len(found) == 3


def test_rules_across_parameters() -> None:
    assert problems({"evaluation_outputs": 0, "evaluation_outcomes": 0, "evaluation_satisfaction": 0}) == [
        "the evaluation weights (evaluation_outputs, evaluation_outcomes, evaluation_satisfaction) cannot all be 0"
    ]
    assert problems({"calls_per_street": 5, "categories": 4}) == ["calls_per_street (5) cannot exceed categories (4)"]
    assert problems({"streets": 10, "communities": 5}) == ["communities (5) must be at least streets (10)"]
    assert problems({"communities": 50, "residents": 10}) == ["residents (10) must be at least communities (50)"]


def test_every_shipped_scenario_loads_and_the_thesis_pair_differs_where_it_should() -> None:
    names = params.shipped()
    assert {"baseline", "price_competition", "joint_long_term", "large_city"} <= set(names)
    for name in names:
        scenario = params.load(name)
        assert scenario.name == name and scenario.description and scenario.description_zh
    price, joint = params.load("price_competition").params, params.load("joint_long_term").params
    assert (price["contract_years"], joint["contract_years"]) == (1, 3)
    assert (price["joint_credit"], joint["joint_credit"]) == (False, True)


def test_a_scenario_file_in_toml_with_groups_or_flat_json(tmp_path: Path) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text('description = "x"\ncontract_years = 2\n[policy]\njoint_credit = true\n', encoding="utf-8")
    scenario = params.load(str(toml))
    assert scenario.name == "mine" and scenario.params["contract_years"] == 2 and scenario.params["joint_credit"]
    assert scenario.overrides() == {"contract_years": 2, "joint_credit": True}
    data = tmp_path / "other.json"
    data.write_text(json.dumps({"name": "other", "matching_ratio": 0.2}), encoding="utf-8")
    assert params.load(str(data)).params["matching_ratio"] == 0.2


def test_bad_scenario_files_and_names_are_refused_clearly(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("contract_years = = 2", encoding="utf-8")
    with pytest.raises(params.ScenarioError, match="is not valid TOML"):
        params.load(str(broken))
    with pytest.raises(params.ScenarioError, match="cannot read"):
        params.load(str(tmp_path / "missing.toml"))
    with pytest.raises(params.ScenarioError, match="no scenario “nope”: use a file, or one of baseline"):
        params.load("nope")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[policy]\ncontract_years = 7\n", encoding="utf-8")
    with pytest.raises(params.ParameterError, match="contract_years must be a whole number from 1 to 3; got 7"):
        params.load(str(wrong))


def test_command_line_values_take_the_parameters_type() -> None:
    assert params.parse_value("contract_years", "2") == 2
    assert params.parse_value("competition_intensity", "0.5") == 0.5
    assert params.parse_value("joint_credit", "true") is True
    assert params.parse_value("joint_credit", "no") is False
    assert params.parse_value("allocation_rule", "max_total_score") == "max_total_score"


def shown_default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def documented_row(p: params.Param) -> str:
    """The row of docs/simulation.md's parameter table for `p`: name, label and help, default, allowed."""
    return f"| `{p.name}` | **{p.label}.** {p.help} | {shown_default(p.default)} | {p.allowed()} |"


def test_the_documentation_describes_every_parameter_and_scenario() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "simulation.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| `")]
    for p in params.PARAMS:  # its meaning, default and range as params.py has them
        assert documented_row(p) in rows, p.name
    table = [line for line in rows if line.split("`")[1] in params.BY_NAME]
    assert len(table) == len(params.PARAMS)  # and nothing else in the table
    for name in params.shipped():
        assert f"| `{name}` |" in doc
