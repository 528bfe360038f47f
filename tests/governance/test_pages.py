"""The governance pages on the hand-made history: who may see which dashboard, what they show, the CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from grassroots.governance import metrics

pytestmark = pytest.mark.django_db


@pytest.fixture
def researcher():
    user = get_user_model().objects.create_user("researcher", password="x")
    user.user_permissions.add(Permission.objects.get(codename="view_every_dashboard"))
    return user


def who(world, researcher) -> dict:
    return {
        "staff": world.admin,
        "researcher": researcher,
        "department officer": world.dept_officer,
        "street officer": world.street_officer,
        "other street's officer": world.other_street_officer,
        "community worker": world.community_workers[0],
        "agency manager": world.managers[0],
        "evaluator": world.evaluator,
        "resident": world.residents[0][0],
    }


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# who sees the dashboard of: S street, T street, the department
MATRIX = {
    "staff": (True, True, True),
    "researcher": (True, True, True),
    "department officer": (True, True, True),
    "street officer": (True, False, False),
    "other street's officer": (False, True, False),
    "community worker": (False, False, False),
    "agency manager": (False, False, False),
    "evaluator": (False, False, False),
    "resident": (False, False, False),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_who_sees_which_dashboard(history, world, researcher, role):
    c = client(who(world, researcher)[role])
    orgs = (history.street, history.other_street, history.department)
    for org, allowed in zip(orgs, MATRIX[role], strict=True):
        response = c.get(reverse("governance-dashboard", args=[org]))
        assert response.status_code == (200 if allowed else 403), (role, org)
        csv_download = c.get(reverse("governance-dashboard", args=[org]), {"format": "csv"})
        assert csv_download.status_code == (200 if allowed else 403), (role, org)
    listed = c.get(reverse("governance-index"))
    seen = {
        pk
        for pk, ok in zip((history.street, history.other_street, history.department), MATRIX[role], strict=True)
        if ok
    }
    if not seen:
        assert listed.status_code == 403
    else:
        page = listed.content.decode()
        for org in orgs:
            assert (f'data-org="{org}"' in page) == (org in seen), (role, org)


def test_only_logged_in_users_and_only_streets_and_departments(history, world):
    anonymous = Client().get(reverse("governance-dashboard", args=[history.street]))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    staff = client(world.admin)
    assert staff.get(reverse("governance-dashboard", args=[history.communities[0]])).status_code == 404
    assert staff.get(reverse("governance-dashboard", args=[history.agencies[0]])).status_code == 404


def test_the_street_dashboard_shows_the_hand_made_figures(history, world):
    page = client(world.street_officer).get(
        reverse("governance-dashboard", args=[history.street]),
        {"first": "2024", "last": "2025", "year": "2025"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = page.content.decode()
    assert page.status_code == 200
    row = text[text.index('data-metric="success_rate"') :]
    assert '<td class="num" data-year="2024">50.0%</td>' in row  # 1 of 2
    assert 'data-year="2025">66.7%</td>' in row  # 2 of 3
    assert 'data-figure="community_gini">0.222<' in text
    assert 'data-figure="award_hhi">0.414<' in text
    assert 'data-figure="linkage_density">66.7%<' in text
    # four ties: (c0, a0) in 2024 and 2025, three more in 2025 only; k4 is T's
    c0, c1, _c2 = history.communities
    a0, a1, a2 = history.agencies
    ties = {f"{c}-{a}" for c, a in ((c0, a0), (c1, a0), (c1, a1), (c1, a2))}
    assert {t for t in ties if f'data-tie="{t}"' in text} == ties
    assert text.count('data-tie="') == 4
    tie_row = text[text.index(f'data-tie="{c0}-{a0}"') :]
    assert "2024, 2025" in tie_row[: tie_row.index("</tr>")]
    # the network draws every tie, the heavier (two-year) one thicker
    assert text.count('<line class="tie') == 4
    assert 'stroke-width="2.8"' in text
    # the Lorenz curve and its text alternative
    assert 'id="lorenz-title"' in text and "¥260,000.00" in text
    # self-action in 2024 and 2025: 15.5 and 10 hours
    assert '<tr data-year="2024">' in text and "15.5" in text


def test_every_metric_has_its_definition_on_the_page_in_either_language(history, world):
    c = client(world.street_officer)
    url = reverse("governance-dashboard", args=[history.street])
    english = c.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for metric in metrics.METRICS:
        assert f'data-metric="{metric.name}"' in english
        assert metric.definition.replace("'", "&#x27;") in english, metric.name
    chinese = c.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "S街道办事处基层治理" in chinese
    assert "辖区全部社区（含未获资金的社区）之间合同金额的基尼系数" in chinese
    assert "mean number of submitted" not in chinese


def test_the_csv_holds_every_metric_of_the_years_shown(history, world):
    response = client(world.dept_officer).get(
        reverse("governance-dashboard", args=[history.street]), {"first": "2024", "last": "2025", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert f"governance-{history.street}-2024-2025.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["year"] for r in rows] == ["2024", "2025"]
    assert list(rows[0]) == ["jurisdiction_id", "jurisdiction", "kind", "year", *metrics.NAMES]
    assert rows[1]["award_hhi"] == "0.413580246914"
    assert rows[1]["tie_persistence"] == "0.25"
    assert rows[0]["tie_persistence"] == ""  # null: nothing in 2023
    assert rows[0]["jurisdiction"] == world.street.name


def test_bad_years_fall_back_to_the_years_with_data(history, world):
    c = client(world.street_officer)
    page = c.get(reverse("governance-dashboard", args=[history.street]), {"first": "abc", "last": "99999"})
    assert page.status_code == 200
    assert 'name="first" type="number" min="2000" max="2100" value="2024"' in page.content.decode()


def test_the_officers_homes_and_navigation_lead_to_the_dashboards(history, world, researcher):
    for user, org in ((world.street_officer, history.street), (world.dept_officer, history.department)):
        home = client(user).get(reverse("home")).content.decode()
        assert f'href="{reverse("governance-dashboard", args=[org])}" data-governance' in home
        assert 'data-nav="governance-index"' in home
    home = client(researcher).get(reverse("home")).content.decode()
    assert 'data-section="researcher"' in home and 'data-nav="governance-index"' in home
    for org in (history.street, history.other_street, history.department):
        assert f'href="{reverse("governance-dashboard", args=[org])}" data-governance' in home
    assert 'data-nav="governance-index"' not in client(world.managers[0]).get(reverse("home")).content.decode()


# who reads a community's / an agency's history on its profile
HISTORY = {
    "staff": (True, True),
    "researcher": (True, True),
    "department officer": (True, True),
    "street officer": (True, True),
    "other street's officer": (False, True),
    "community worker": (True, False),  # of c0, the community itself
    "agency manager": (False, True),  # of a0, the agency itself
    "evaluator": (False, False),
    "resident": (False, False),
}


@pytest.mark.parametrize("role", list(HISTORY))
def test_who_reads_a_community_and_an_agency_history(history, world, researcher, role):
    c = client(who(world, researcher)[role])
    for org, allowed in zip((history.communities[0], history.agencies[0]), HISTORY[role], strict=True):
        page = c.get(reverse("org-profile", args=[org]))
        assert page.status_code == 200
        assert ('id="history"' in page.content.decode()) == allowed, (role, org)


def test_a_community_history_year_by_year(history, world):
    page = client(world.street_officer).get(reverse("org-profile", args=[history.communities[1]])).content.decode()
    section = page[page.index('id="history"') :]
    # c1 partnered k2 (half of 200,000) and k3 (100,000) and k5 (60,000) in 2025, nothing in 2024
    row = section[section.index('data-year="2025"') :]
    row = row[: row.index("</tr>")]
    assert "¥260,000.00" in row and '<td class="num">3</td>' in row
    assert 'data-year="2024"' not in section
    assert f'href="{reverse("governance-dashboard", args=[history.street])}"' in section


def test_an_agency_history_with_its_final_score(history, world):
    page = client(world.managers[0]).get(reverse("org-profile", args=[history.agencies[0]])).content.decode()
    section = page[page.index('id="history"') :]
    row = section[section.index('data-year="2024"') :]
    row = row[: row.index("</tr>")]
    assert "¥100,000.00" in row and "85.00" in row  # k1, finally scored 85
    row = section[section.index('data-year="2025"') :]
    row = row[: row.index("</tr>")]
    assert "¥200,000.00" in row  # k2; k6 is a draft


def test_the_street_dashboard_links_the_departments_only_for_whom_may_see_it(history, world, researcher):
    department_page = reverse("governance-dashboard", args=[history.department])
    for user, linked in (
        (world.street_officer, False),  # the street's officer may not open the department's dashboard
        (world.dept_officer, True),
        (researcher, True),
    ):
        page = client(user).get(reverse("governance-dashboard", args=[history.street]), HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        lead = page.content.decode()
        lead = lead[lead.index('<p class="lead">') :]
        lead = lead[: lead.index("</p>")]
        assert (f'href="{department_page}"' in lead) == linked, user
        assert "Civil Affairs" in lead or "民政" in lead  # the department is still named
