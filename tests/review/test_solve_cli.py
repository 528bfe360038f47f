"""`grassroots solve assign|allocate` on the plain files of ../shared/contracts/solvers.md, with its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grassroots import cli

ASSIGN = {
    "reviewers_per_application": 2,
    "applications": [{"id": "A1", "topics": ["elderly", "disability"]}, {"id": "A2", "topics": ["children"]}],
    "reviewers": [
        {"id": "R1", "expertise": ["elderly"], "capacity": 2},
        {"id": "R2", "expertise": ["children"], "capacity": 2},
        {"id": "R3", "expertise": [], "capacity": 1},
    ],
    "conflicts": [["R3", "A2"]],
    "affinity": [["R1", "A1", 0.8]],
}

ALLOCATE = {
    "rule": "max_total_score",
    "budget": "1000000.00",
    "min_score": 60,
    "max_awards_per_agency": 3,
    "category_caps": {"elderly": "400000.00"},
    "applications": [
        {"id": "A1", "requested": "120000.00", "score": 87.5, "agency": "G1", "community": "C1", "category": "elderly"},
        {"id": "A2", "requested": "900000.00", "score": 90, "agency": "G2", "community": "C1", "category": "children"},
        {"id": "A3", "requested": "300000.00", "score": 55, "agency": "G2", "community": "C2", "category": "children"},
    ],
}


def run(
    tmp_path: Path, problem: str, data: object, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    path = tmp_path / "in.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    code = cli.main(["solve", problem, str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_assign_prints_the_optimal_assignment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(tmp_path, "assign", ASSIGN, capsys)
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["status"] == "optimal"
    # A1: R1 (0.8 given) and R3 (Jaccard 0 — R2 is needed by A2, whose only other choice R3 conflicts)
    assert result["assignments"] == [["R1", "A1"], ["R3", "A1"], ["R1", "A2"], ["R2", "A2"]]
    assert result["objective"] == pytest.approx(0.8 + 0.0 + 0.0 + 1.0)


def test_allocate_writes_to_the_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    code, out, err = run(tmp_path, "allocate", ALLOCATE, capsys, "-o", str(target))
    assert (code, out, err) == (0, "", "")
    result = json.loads(target.read_text(encoding="utf-8"))
    assert result == {
        "status": "optimal",
        "objective": 90.0,
        "total_awarded": "900000.00",
        "funded": ["A2"],
        "reasons": {
            "A3": "below the minimum score 60",
            "A1": "not in the set of applications with the largest total score that fits the budget and caps",
        },
    }


def test_rank_order_by_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(tmp_path, "allocate", {**ALLOCATE, "rule": "rank_order"}, capsys)
    assert code == 0
    result = json.loads(out)
    assert result["funded"] == ["A2"] and result["total_awarded"] == "900000.00"
    assert result["reasons"]["A1"] == "the request 120000.00 does not fit the remaining budget 100000.00"


@pytest.mark.parametrize(
    ("problem", "data", "says"),
    [
        ("assign", "{not json", "not valid JSON"),
        ("assign", [], "JSON object"),
        ("assign", {**ASSIGN, "reviewers_per_application": 0}, "reviewers_per_application"),
        ("assign", {**ASSIGN, "reviewers": [{"id": "R1", "capacity": -1}]}, "capacity"),
        ("assign", {**ASSIGN, "conflicts": [["R9", "A1"]]}, "unknown reviewer"),
        ("assign", {**ASSIGN, "applications": [{"id": "A1"}, {"id": "A1"}]}, "unique"),
        ("allocate", {**ALLOCATE, "rule": "lottery"}, "rule must be one of"),
        ("allocate", {**ALLOCATE, "budget": 1000000.0}, "decimal string"),
        ("allocate", {**ALLOCATE, "budget": "10.001"}, "two decimal places"),
        ("allocate", {**ALLOCATE, "category_caps": {"elderly": "-1"}}, "at least 0"),
        ("allocate", {**ALLOCATE, "applications": [{"id": "A1", "requested": "1.00"}]}, "score must be a number"),
    ],
)
def test_input_that_does_not_fit_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str, data: object, says: str
) -> None:
    code, out, err = run(tmp_path, problem, data, capsys)
    assert code == 2 and out == ""
    assert says in err and err.count("\n") == 1


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["solve", "assign", str(tmp_path / "nowhere.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_an_infeasible_instance_exits_3_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {**ASSIGN, "reviewers_per_application": 3}
    code, out, err = run(tmp_path, "assign", data, capsys)
    assert code == 3 and out == ""
    assert "A2 has 2 reviewer(s) without a conflict; 3 are needed" in err and err.count("\n") == 1
