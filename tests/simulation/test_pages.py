"""The simulator's pages: who may use them (a matrix), a small comparison run end to end, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from grassroots.core.models import AuditEvent
from grassroots.core.uscc import make_uscc
from grassroots.governance import metrics
from grassroots.governance.labels import SHOWN
from grassroots.orgs import services as org_services
from grassroots.simulation import services
from grassroots.simulation.models import SimulationRun

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "nobody",
    "resident",
    "community_worker",
    "agency_manager",
    "street_officer",
    "dept_officer",
    "staff",
)
ALLOWED = {"street_officer", "dept_officer", "staff"}

# small cities, so that a page run takes a fraction of a second
SMALL_CHANGES = "streets = 2\ncommunities = 6\nagencies = 8\nresidents = 2000\nbudget = 1500000\n"


@pytest.fixture
def people(db: None) -> dict[str, Any]:
    User = get_user_model()
    admin = User.objects.create_superuser("sim_admin", "admin@example.org", None)
    register = org_services.register_organization

    def code(n: int) -> str:
        return make_uscc("5", "1", "350102", f"PM{n:07d}")

    dept = register(admin, kind="department", name="民政局", uscc=code(1))
    street = register(admin, kind="street", name="街道办", uscc=code(2), parent=dept)
    community = register(admin, kind="community", name="社区", uscc=code(3), parent=street)
    agency = register(admin, kind="agency", name="社工机构", uscc=code(4))
    users: dict[str, Any] = {"anonymous": None, "staff": admin}
    for key, org, role in (
        ("dept_officer", dept, "officer"),
        ("street_officer", street, "officer"),
        ("community_worker", community, "community_worker"),
        ("resident", community, "resident"),
        ("agency_manager", agency, "manager"),
    ):
        person = org_services.add_person(admin, name=key, username=f"sim_{key}")
        org_services.add_membership(admin, person=person, organization=org, role=role)
        users[key] = person.user
    users["nobody"] = org_services.add_person(admin, name="nobody", username="sim_nobody").user
    return users


def client_for(people: dict[str, Any], role: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if people[role] is not None:
        client.force_login(people[role])
    return client


@pytest.fixture
def at_once(settings: Any) -> None:
    settings.GRASSROOTS = {**settings.GRASSROOTS, "SIMULATION_IN_BACKGROUND": False}


def form(**changes: Any) -> dict[str, Any]:
    data = {
        "left": "price_competition",
        "left_changes": SMALL_CHANGES,
        "right": "joint_long_term",
        "right_changes": SMALL_CHANGES,
        "years": 3,
        "runs": 2,
        "seed": 4,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_the_simulator(people: dict[str, Any], role: str) -> None:
    response = client_for(people, role).get(reverse("simulation-home"))
    if role == "anonymous":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == (200 if role in ALLOWED else 403)
        home = client_for(people, role).get(reverse("home"))
        assert (reverse("simulation-home") in home.content.decode()) == (role in ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_run_a_comparison(
    people: dict[str, Any], role: str, at_once: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people, role).post(reverse("simulation-home"), form())
    if role in ALLOWED:
        assert response.status_code == 302
    else:
        assert response.status_code in (302, 403) and (role == "anonymous") == (response.status_code == 302)
        assert not SimulationRun.objects.exists()


def test_a_small_comparison_runs_and_shows_side_by_side(
    people: dict[str, Any], at_once: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(people, "street_officer")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("simulation-home"), form())
    run = SimulationRun.objects.get()
    assert response["Location"] == reverse("simulation-run", args=[run.pk])
    assert run.state == SimulationRun.State.DONE and run.requested_by == people["street_officer"]
    assert run.left_changes["communities"] == 6 and run.right_scenario == "joint_long_term"
    assert set(run.results["left"]["per_year"]) == set(metrics.NAMES)  # jsonb keeps no key order
    assert [p["year"] for p in run.results["right"]["per_year"]["award_hhi"]] == [1, 2, 3]
    assert run.results["left"]["per_year"]["award_hhi"][0]["n"] == 2
    actions = set(AuditEvent.objects.filter(object_id=str(run.pk)).values_list("action", flat=True))
    assert {"simulationrun.requested", "simulationrun.running", "simulationrun.done"} <= actions

    page = client.get(reverse("simulation-run", args=[run.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for name in metrics.NAMES:
        assert f'data-metric="{name}"' in text
    assert str(SHOWN["tie_persistence"].label) in text and 'http-equiv="refresh"' not in text
    plot = client.get(reverse("simulation-plot", args=[run.pk]))
    assert plot.status_code == 200 and plot["Content-Type"] == "image/png" and plot.content.startswith(b"\x89PNG")
    listing = client.get(reverse("simulation-home")).content.decode()
    assert f'data-run="{run.pk}"' in listing
    # someone else may not read it
    assert client_for(people, "agency_manager").get(reverse("simulation-run", args=[run.pk])).status_code == 403
    assert client_for(people, "resident").get(reverse("simulation-plot", args=[run.pk])).status_code == 403


def test_the_page_speaks_chinese(people: dict[str, Any]) -> None:
    client = client_for(people, "dept_officer", language="zh-hans")
    text = client.get(reverse("simulation-home")).content.decode()
    assert "政策模拟" in text and "纯粹的短期价格竞争" in text and "竞争强度" in text


def test_a_queued_run_refreshes_and_an_old_one_shows_as_interrupted(people: dict[str, Any]) -> None:
    run = SimulationRun.objects.create(
        requested_by=people["staff"], years=2, runs=1, seed=1, left_scenario="baseline", right_scenario="baseline"
    )
    client = client_for(people, "staff")
    assert 'http-equiv="refresh"' in client.get(reverse("simulation-run", args=[run.pk])).content.decode()
    SimulationRun.objects.filter(pk=run.pk).update(created_at=run.created_at - services.STALE_AFTER * 2)
    text = client.get(reverse("simulation-run", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' not in text and "interrupted" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"left_changes": "contract_years = 5"},
            "Scenario A: contract_years must be a whole number from 1 to 3; got 5",
        ),
        ({"right_changes": "bogus = 1"}, "Scenario B: unknown parameter “bogus”"),
        ({"left_changes": "communities = 500\nresidents = 100000"}, "a page runs at most 120"),
        ({"left_changes": "contract_years = = 2"}, "Write one change per line as name = value"),
        ({"years": 50}, "Ensure this value is less than or equal to 20"),
        (
            {"left_changes": "budget = 1e11\nbudget_growth = 0.5", "years": 20},
            "Scenario A: budget 100000000000.0 growing by budget_growth 0.5 for 20 years",
        ),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_runs_nothing(
    people: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    response = client_for(people, "staff").post(reverse("simulation-home"), form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert not SimulationRun.objects.exists()


def test_a_failing_run_is_recorded_with_its_reason(people: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    run = SimulationRun.objects.create(
        requested_by=people["staff"], years=2, runs=1, seed=1, left_scenario="baseline", right_scenario="baseline"
    )

    def broken(run: SimulationRun) -> dict[str, Any]:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(services, "compare", broken)
    services.execute_run(run.pk)
    run.refresh_from_db()
    assert run.state == SimulationRun.State.FAILED and "out of memory" in run.error
    page = client_for(people, "staff").get(reverse("simulation-run", args=[run.pk]))
    assert "out of memory" in page.content.decode()


def test_a_refused_parameter_is_explained_in_the_readers_language(people: dict[str, Any]) -> None:
    client = client_for(people, "staff", language="zh-hans")
    response = client.post(reverse("simulation-home"), form(left_changes="contract_years = 5\njoint_credit = 1"))
    text = response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert response.status_code == 400
    assert "contract_years 应为 1 到 3 之间的整数；实际为 5" in text
    assert "joint_credit 应为 true 或 false；实际为 1" in text
    assert "a whole number" not in text and "true or false" not in text
    home = client.get(reverse("simulation-home")).content.decode()
    assert "1 到 3 之间的整数" in home and "a whole number from" not in home  # the parameter table too
