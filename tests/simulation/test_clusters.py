"""Sweeps on a cluster: the configured Dask scheduler or Ray cluster gives the same metrics as this machine.

The Dask and Ray tests start a real local cluster (the test environment installs the optional `cluster`
extra; elsewhere they are skipped, saying so)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grassroots.cli import main
from grassroots.simulation.clusters import DASK_VARIABLE, RAY_VARIABLE

from .conftest import SMALL

HAS_DASK = importlib.util.find_spec("distributed") is not None
HAS_RAY = importlib.util.find_spec("ray") is not None


@pytest.fixture
def scenario(tmp_path: Path) -> str:
    path = tmp_path / "small.toml"
    lines = [f"{k} = {json.dumps(v)}" for k, v in SMALL.items()]
    path.write_text('description = "a small city"\n' + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def simulate(scenario: str, out: Path) -> int:
    args = ["--scenario", scenario, "--years", "3", "--runs", "3", "--seed", "7", "--out", str(out)]
    return main(["simulate", "--workers", "1", "--no-progress", "--no-plots", *args])


def metrics_here(scenario: str, tmp_path: Path) -> str:
    assert simulate(scenario, tmp_path / "here") == 0
    return (tmp_path / "here" / "metrics.csv").read_text(encoding="utf-8")


def test_naming_two_clusters_is_a_clear_error(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DASK_VARIABLE, "tcp://127.0.0.1:8786")
    monkeypatch.setenv(RAY_VARIABLE, "ray://127.0.0.1:10001")
    assert simulate(scenario, tmp_path / "two") == 2
    assert "both GRASSROOTS_DASK_SCHEDULER and GRASSROOTS_RAY_ADDRESS are set" in capsys.readouterr().err
    assert not (tmp_path / "two" / "metrics.csv").exists()


def test_a_dask_scheduler_without_dask_is_a_clear_error(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # as if the extra were not installed
    monkeypatch.setenv(DASK_VARIABLE, "tcp://127.0.0.1:8786")
    assert simulate(scenario, tmp_path / "d") == 2
    err = capsys.readouterr().err
    assert "GRASSROOTS_DASK_SCHEDULER is set (tcp://127.0.0.1:8786) but dask.distributed is not installed" in err
    assert "grassroots[cluster]" in err


def test_a_ray_address_without_ray_is_a_clear_error(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    monkeypatch.setenv(RAY_VARIABLE, "ray://127.0.0.1:10001")
    assert simulate(scenario, tmp_path / "r") == 2
    err = capsys.readouterr().err
    assert "GRASSROOTS_RAY_ADDRESS is set (ray://127.0.0.1:10001) but ray is not installed" in err
    assert "grassroots[cluster]" in err


@pytest.fixture
def dask_scheduler() -> Iterator[str]:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DASK, reason="the optional cluster extra (dask.distributed) is not installed")
def test_a_dask_cluster_gives_the_same_metrics_as_this_machine(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dask_scheduler: str
) -> None:
    expected = metrics_here(scenario, tmp_path)
    monkeypatch.setenv(DASK_VARIABLE, dask_scheduler)
    assert simulate(scenario, tmp_path / "dask") == 0
    assert (tmp_path / "dask" / "metrics.csv").read_text(encoding="utf-8") == expected


@pytest.mark.slow
@pytest.mark.skipif(not HAS_RAY, reason="the optional cluster extra (ray) is not installed")
def test_a_ray_cluster_gives_the_same_metrics_as_this_machine(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = metrics_here(scenario, tmp_path)
    monkeypatch.setenv(RAY_VARIABLE, "local")  # Ray starts a cluster on this machine and stops it at shutdown
    assert simulate(scenario, tmp_path / "ray") == 0
    assert (tmp_path / "ray" / "metrics.csv").read_text(encoding="utf-8") == expected
