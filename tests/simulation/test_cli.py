"""`grassroots simulate`: outputs, determinism, sweeps, parallel runs, errors and the cluster setting."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grassroots.cli import main
from grassroots.governance import metrics
from grassroots.simulation import runner

from .conftest import SMALL


@pytest.fixture
def scenario(tmp_path: Path) -> str:
    path = tmp_path / "small.toml"
    lines = [f"{k} = {json.dumps(v)}" for k, v in SMALL.items()]
    path.write_text('description = "a small city"\n' + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def simulate(*args: str) -> int:
    return main(["simulate", "--workers", "1", "--no-progress", *args])


def test_a_run_writes_metrics_csv_in_the_contracts_order_and_the_summaries(scenario: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert simulate("--scenario", scenario, "--years", "4", "--runs", "3", "--seed", "5", "--out", str(out)) == 0
    with (out / "metrics.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["run", "year", *metrics.NAMES]
    assert [(r[0], r[1]) for r in rows[1:]] == [(str(run), str(year)) for run in range(3) for year in range(1, 5)]
    assert all(r[2 + metrics.NAMES.index("tie_persistence")] == "" for r in rows[1:] if r[1] == "1")  # null, not 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["runs"] == 3 and summary["years"] == 4 and summary["scenario"] == "small"
    assert list(summary["metrics"]) == list(metrics.NAMES)
    last = summary["metrics"]["mean_final_score"]["last"]
    values = [float(r[2 + metrics.NAMES.index("mean_final_score")]) for r in rows[1:] if r[1] == "4"]
    assert last["mean"] == pytest.approx(sum(values) / 3) and last["low"] <= last["mean"] <= last["high"]
    assert "| `award_hhi` |" in (out / "summary.md").read_text(encoding="utf-8")
    assert (out / "metrics.png").read_bytes().startswith(b"\x89PNG")
    with (out / "ledger.csv").open(encoding="utf-8") as handle:
        ledger = list(csv.DictReader(handle))
    assert len(ledger) == 12 and ledger[0]["budget"] == "2000000.00"


def test_the_same_seed_writes_the_same_file_and_another_seed_another(scenario: str, tmp_path: Path) -> None:
    for name, seed in (("a", "9"), ("b", "9"), ("c", "10")):
        assert (
            simulate(
                "--scenario",
                scenario,
                "--years",
                "3",
                "--runs",
                "2",
                "--seed",
                seed,
                "--out",
                str(tmp_path / name),
                "--no-plots",
            )
            == 0
        )
    text = {name: (tmp_path / name / "metrics.csv").read_bytes() for name in "abc"}
    assert text["a"] == text["b"]
    assert text["a"] != text["c"]


def test_a_pool_of_processes_gives_what_one_process_gives(scenario: str, tmp_path: Path) -> None:
    common = ["--scenario", scenario, "--years", "3", "--runs", "3", "--seed", "2", "--no-plots", "--no-progress"]
    assert main(["simulate", *common, "--workers", "1", "--out", str(tmp_path / "one")]) == 0
    assert main(["simulate", *common, "--workers", "2", "--out", str(tmp_path / "two")]) == 0
    assert (tmp_path / "one" / "metrics.csv").read_bytes() == (tmp_path / "two" / "metrics.csv").read_bytes()


def test_a_sweep_writes_one_folder_per_point_and_a_combined_file(scenario: str, tmp_path: Path) -> None:
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text("joint_credit = [false, true]\n", encoding="utf-8")
    out = tmp_path / "sweep"
    args = ["--scenario", scenario, "--years", "2", "--runs", "2", "--out", str(out), "--no-plots"]
    assert simulate(*args, "--sweep", "contract_years=1,2", "--sweep-file", str(sweep_file)) == 0
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == [  # the sweep file's parameters first, then those of --sweep
        "joint_credit=false,contract_years=1",
        "joint_credit=false,contract_years=2",
        "joint_credit=true,contract_years=1",
        "joint_credit=true,contract_years=2",
    ]
    with (out / "sweep.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["joint_credit", "contract_years", "run", "year"]
    assert len(rows) == 1 + 4 * 2 * 2
    # every point sees the same draws for the same run: the first point equals a plain run of it
    plain = tmp_path / "plain"
    assert simulate(*args[:-3], "--out", str(plain), "--no-plots", "--set", "contract_years=1") == 0
    assert (plain / "metrics.csv").read_bytes() == (out / folders[0] / "metrics.csv").read_bytes()


def test_bad_parameters_exit_2_naming_them(scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x")
    assert simulate("--scenario", scenario, "--out", out, "--sweep", "contract_years=1,5", "--years", "2") == 2
    assert "contract_years must be a whole number from 1 to 3; got 5" in capsys.readouterr().err
    assert simulate("--scenario", scenario, "--out", out, "--set", "bogus=1") == 2
    assert "unknown parameter “bogus”" in capsys.readouterr().err
    assert simulate("--scenario", scenario, "--out", out, "--years", "0") == 2
    assert "years must be a whole number from 1 to 200; got 0" in capsys.readouterr().err
    assert simulate("--scenario", "nope", "--out", out) == 2
    assert "no scenario “nope”" in capsys.readouterr().err
    assert simulate("--scenario", scenario, "--out", out, "--sweep", "contract_years") == 2
    assert "a sweep is written param=v1,v2,..." in capsys.readouterr().err
    assert simulate("--scenario", scenario, "--out", out, "--seed", "-1") == 2
    assert "seed must be a whole number from 0 to 9223372036854775807; got -1" in capsys.readouterr().err
    assert main(["simulate", "--workers", "0", "--no-progress", "--scenario", scenario, "--out", out]) == 2
    assert "workers must be a whole number of at least 1; got 0" in capsys.readouterr().err
    assert simulate("--scenario", scenario, "--out", out, "--set", "contract_years=3,1") == 2
    assert "--set gives a parameter one value (several are a --sweep)" in capsys.readouterr().err
    too_much = ("--set", "budget=1e11", "--set", "budget_growth=0.5", "--years", "20")
    assert simulate("--scenario", scenario, "--out", out, *too_much) == 2
    assert "more than the simulator counts to the cent" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_list_shows_the_shipped_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    printed = capsys.readouterr().out
    assert "price_competition: Pure short-term price competition" in printed and "joint_long_term:" in printed


def test_the_progress_bar_goes_to_stderr(scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--scenario", scenario, "--years", "2", "--runs", "2", "--out", str(tmp_path / "p"), "--no-plots"]
    assert main(["simulate", "--workers", "1", "--progress", *args]) == 0
    captured = capsys.readouterr()
    assert "simulating [" in captured.err and "2/2" in captured.err
    assert "[" not in captured.out


def test_the_interval_is_students_t_over_runs() -> None:
    stat = runner.interval([1.0, 2.0, 3.0])
    assert stat["mean"] == 2.0 and stat["n"] == 3
    assert stat["high"] == pytest.approx(2.0 + 4.302652729911275 / 3**0.5)
    assert runner.interval([5.0]) == {"mean": 5.0, "low": 5.0, "high": 5.0, "n": 1}
    assert runner.interval([])["mean"] is None
