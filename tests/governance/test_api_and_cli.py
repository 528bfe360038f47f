"""The metrics through the public API and `grassroots governance`, on the hand-made history."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grassroots import cli
from grassroots.governance import metrics

pytestmark = pytest.mark.django_db

# the street's 2025, worked out by hand in test_selectors.py
STREET_2025 = {
    "applications_per_call": 2.5,
    "success_rate": 0.666666666667,
    "award_hhi": 0.413580246914,
    "community_gini": 0.222222222222,
    "linkage_density": 0.666666666667,
    "tie_persistence": 0.25,
    "agency_embeddedness": 1.33333333333,
    "project_continuation": 1.0,
    "cofunding_share": 0.0526315789474,
    "volunteer_hours_per_1000": 1.11111111111,
    "resident_participation_per_1000": 1.44444444444,
    "needs_alignment": 0.333333333333,
    "mean_final_score": 70.0,
    "fail_rate": 0.5,
}


def get(path: str, **query):
    return Client().get(f"/api/governance/{path}", query, HTTP_ACCEPT_LANGUAGE="en")


def test_the_metrics_of_a_street_are_public(history):
    response = get("metrics", street=history.street, year=2025)
    assert response.status_code == 200
    body = response.json()
    assert body["jurisdiction"] == {
        "id": history.street,
        "kind": "street",
        "name": "S街道办事处",
        "name_en": "S Street Office",
        "parent": history.department,
    }
    assert body["years"] == [{"year": 2025, "metrics": STREET_2025}]
    assert list(body["years"][0]["metrics"]) == list(metrics.NAMES)


def test_a_range_of_years_with_nulls(history):
    body = get("metrics", department=history.department, first=2024, last=2025).json()
    assert [y["year"] for y in body["years"]] == [2024, 2025]
    assert body["years"][0]["metrics"]["tie_persistence"] is None
    assert body["years"][1]["metrics"]["success_rate"] == 0.833333333333  # 5 of 6, worked out in test_selectors


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ({"year": 2025}, 422, "Give either street or department"),
        ({"street": 1, "department": 1, "year": 2025}, 422, "Give either street or department"),
        ({"street": "S", "year": 2025, "first": 2024}, 422, "Give either year, or first and last."),
        ({"street": "S", "first": 2024}, 422, "Give year, or first and last."),
        ({"street": "S", "first": 2025, "last": 2024}, 422, "The first year comes after the last."),
        ({"street": "S", "first": 1900, "last": 2025}, 422, "At most 50 years at a time."),
        ({"street": 999999, "year": 2025}, 404, "No street has the id 999999."),
        ({"department": "S", "year": 2025}, 404, "No department has the id"),
    ],
)
def test_errors_say_why_in_a_detail(history, query, status, detail):
    query = {k: history.street if v == "S" else v for k, v in query.items()}
    response = get("metrics", **query)
    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)


def test_errors_in_the_readers_language(history):
    response = Client().get("/api/governance/metrics", {"year": 2025}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("请给出街道")


def test_jurisdictions_and_definitions(history):
    listed = get("jurisdictions").json()["items"]
    assert [(j["id"], j["kind"]) for j in listed] == [
        (history.department, "department"),
        (history.street, "street"),
        (history.other_street, "street"),
    ]
    definitions = get("definitions", limit=100).json()["items"]
    assert [(d["name"], d["definition"]) for d in definitions] == [(m.name, m.definition) for m in metrics.METRICS]


def test_the_command_prints_json_in_the_apis_shape(history, capsys):
    assert cli.main(["governance", "--street", "S Street Office", "--year", "2025", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == get("metrics", street=history.street, year=2025).json()


def test_the_command_finds_a_street_by_id_name_or_code_and_prints_a_table(history, world, capsys):
    for street in (str(history.street), world.street.name, world.street.uscc):
        assert cli.main(["governance", "--street", street, "--years", "2024-2025"]) == 0
        out = capsys.readouterr().out
        lines = out.splitlines()
        assert lines[0].startswith(world.street.name)
        assert lines[1].split() == ["Metric", "2024", "2025"]
        hhi = next(line for line in lines if line.startswith("Concentration of awards (HHI)"))
        assert hhi.split()[-2:] == ["1.000", "0.414"]  # 2024: a0 alone
        persistence = next(line for line in lines if line.startswith("Tie persistence"))
        assert persistence.split()[-2:] == ["—", "25.0%"]


def test_the_command_speaks_the_readers_language(history, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("GRASSROOTS_LANGUAGE", raising=False)
    assert cli.main(["governance", "--street", str(history.street), "--years", "2024-2025"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["指标", "2024", "2025"]
    assert any(line.startswith("合作关系延续率") for line in lines), lines
    monkeypatch.setenv("GRASSROOTS_LANGUAGE", "en")
    assert cli.main(["governance", "--street", str(history.street), "--years", "2024-2025"]) == 0
    assert "Tie persistence" in capsys.readouterr().out


def test_the_command_defaults_to_the_only_department_and_its_years(history, capsys):
    assert cli.main(["governance", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["jurisdiction"]["id"] == history.department
    assert [y["year"] for y in printed["years"]] == [2024, 2025]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--street", "Nowhere", "--year", "2025"], "No street or department is “Nowhere”."),
        (["--street", "Civil Affairs Bureau", "--year", "2025"], "is a department, not a street"),
        (["--street", "S Street Office", "--years", "2025-2024"], "the first year comes after the last"),
        (["--street", "S Street Office", "--years", "last-year"], "--years takes A-B"),
    ],
)
def test_the_command_refuses_with_exit_2(history, capsys, argv, message):
    assert cli.main(["governance", *argv]) == 2
    assert message in capsys.readouterr().err
