"""The web front: login, each role's home page, the detail pages' permission checks, and the two languages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.funding.models import Call
from grassroots.review import services as review_services

from .conftest import PASSWORD, WebWorld

pytestmark = pytest.mark.django_db


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def home(web: WebWorld, who: str) -> str:
    return page(web.client_for(who), reverse("home"))


def call_url(web: WebWorld, key: str) -> str:
    return reverse("call-detail", args=[web.pk[key]])


def application_url(web: WebWorld, key: str) -> str:
    return reverse("application-detail", args=[web.pk[key]])


def contract_url(web: WebWorld) -> str:
    return reverse("contract-detail", args=[web.pk["contract"]])


# --- login and logout --------------------------------------------------------------------------


def test_login_page_renders_without_login(web: WebWorld) -> None:
    html = page(Client(), reverse("login"))
    assert 'name="username"' in html and 'name="password"' in html
    assert 'action="/i18n/setlang/"' in html  # the language switch is there before logging in


def test_login_with_the_right_password_leads_home(web: WebWorld) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": web.users["mgr_a"], "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert web.text["app_a_open"] in page(client, reverse("home"))


def test_login_with_a_wrong_password_is_refused(web: WebWorld) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": web.users["mgr_a"], "password": "wrong"})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_anonymous_visitors_are_sent_to_login(web: WebWorld) -> None:
    for url in [reverse("home"), call_url(web, "open_call"), application_url(web, "app_a_awarded"), contract_url(web)]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_logout_is_a_post(web: WebWorld) -> None:
    client = web.client_for("mgr_a")
    html = page(client, reverse("home"))
    assert f'action="{reverse("logout")}"' in html
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_the_navigation_names_the_user_and_their_roles(web: WebWorld) -> None:
    html = home(web, "street")
    assert "李主任" in html
    assert web.text["street"] in html
    assert 'href="/admin/"' not in html


def test_staff_get_a_link_to_the_admin(web: WebWorld) -> None:
    client = web.client_for("staff")
    html = page(client, reverse("home"))
    assert 'href="/admin/"' in html
    assert web.text["open_call"] in html
    assert client.get("/admin/").status_code == 200


def test_a_login_without_memberships_is_told_so(web: WebWorld) -> None:
    html = home(web, "nobody")
    assert 'data-section="' not in html
    assert "无名氏" in html


# --- each role's home page ---------------------------------------------------------------------


def test_department_officer_sees_programs_calls_and_contracts(web: WebWorld) -> None:
    html = home(web, "dept")
    assert 'data-section="department_officer"' in html
    assert web.text["program"] in html
    assert "¥1,000,000.00" in html  # the program's budget
    assert "¥600,000.00" in html  # committed: the street's envelope
    assert web.text["decided_call"] in html and web.text["open_call"] in html
    assert web.text["contract"] in html


def test_street_officer_sees_envelopes_calls_applications_and_contracts(web: WebWorld) -> None:
    html = home(web, "street")
    assert 'data-section="street_officer"' in html
    assert "¥400,000.00" in html  # called from the envelope: 200,000 + 150,000 + the draft call's 50,000
    assert web.text["draft_call"] in html  # its own draft call
    for key in ["app_a_open", "app_b_open", "app_a_awarded", "app_b_rejected"]:
        assert web.text[key] in html
    assert web.text["app_a_draft"] not in html  # a draft is the agency's own until it is submitted
    assert web.text["contract"] in html


def test_community_worker_sees_its_needs_and_partnerships_only(web: WebWorld) -> None:
    html = home(web, "cw1")
    assert 'data-section="community_worker"' in html
    assert web.text["need_c1"] in html
    assert web.text["need_c2"] not in html
    assert web.text["app_a_open"] in html and web.text["app_a_draft"] in html  # co-written, drafts included
    assert web.text["app_b_open"] not in html and web.text["app_b_rejected"] not in html
    assert web.text["contract"] in html
    other = home(web, "cw2")
    assert web.text["need_c2"] in other and web.text["need_c1"] not in other
    assert web.text["contract"] not in other


def test_agency_manager_sees_open_calls_its_applications_and_tranches(web: WebWorld) -> None:
    html = home(web, "mgr_a")
    assert 'data-section="agency_manager"' in html
    assert web.text["open_call"] in html
    assert web.text["draft_call"] not in html
    for key in ["app_a_open", "app_a_draft", "app_a_awarded"]:
        assert web.text[key] in html
    assert web.text["contract"] in html
    assert 'class="badge paid"' in html and 'class="badge payable"' not in html  # tranche 1 paid, 2 and 3 planned
    assert web.text["app_b_open"] not in html and web.text["app_b_rejected"] not in html


def test_competing_manager_never_sees_the_other_agencys_applications_before_awards(web: WebWorld) -> None:
    html = home(web, "mgr_b")
    assert web.text["app_b_open"] in html and web.text["app_b_rejected"] in html
    assert web.text["app_a_open"] not in html and web.text["app_a_draft"] not in html
    assert web.text["contract"] not in html
    # The open call's page lists only B's own application.
    call_page = page(web.client_for("mgr_b"), call_url(web, "open_call"))
    assert web.text["app_b_open"] in call_page
    assert web.text["app_a_open"] not in call_page and web.text["app_a_draft"] not in call_page


def test_social_worker_sees_agency_contracts_and_own_records(web: WebWorld) -> None:
    html = home(web, "sw_a")
    assert 'data-section="social_worker"' in html
    assert web.text["contract"] in html
    assert web.text["record"] in html
    other = home(web, "sw_b")
    assert web.text["contract"] not in other and web.text["record"] not in other


def test_expert_sees_assigned_reviews(web: WebWorld) -> None:
    html = home(web, "expert")
    assert 'data-section="expert"' in html
    assert web.text["app_a_awarded"] in html and web.text["app_b_rejected"] in html
    assert web.text["app_a_open"] not in html


def test_evaluator_sees_its_evaluations(web: WebWorld) -> None:
    html = home(web, "evaluator")
    assert 'data-section="evaluator"' in html
    assert web.text["contract"] in html
    assert "86.00" in html


def test_resident_sees_the_needs_of_their_community(web: WebWorld) -> None:
    html = home(web, "resident")
    assert 'data-section="resident"' in html
    assert web.text["need_c1"] in html and web.text["need_c2"] not in html
    assert html.count('data-section="resident"') == 1  # membership and home community are one section


# --- detail pages and their permission checks ------------------------------------------------


def test_call_page_shows_criteria_and_the_decided_awards(web: WebWorld) -> None:
    html = page(web.client_for("mgr_b"), call_url(web, "decided_call"))
    assert web.text["decided_call"] in html
    assert "需求契合度" in html and "¥200,000.00" in html
    assert web.text["app_a_awarded"] in html  # awarded: public once decided
    assert web.text["app_b_rejected"] in html  # B's own


def test_a_draft_call_is_seen_only_by_its_officers(web: WebWorld) -> None:
    for who in ["street", "dept", "staff"]:
        page(web.client_for(who), call_url(web, "draft_call"))
    for who in ["mgr_a", "cw1", "resident", "expert"]:
        page(web.client_for(who), call_url(web, "draft_call"), 404)


def test_application_page_for_those_concerned(web: WebWorld) -> None:
    url = application_url(web, "app_a_open")
    for who in ["mgr_a", "sw_a", "cw1", "street", "dept", "staff"]:
        html = page(web.client_for(who), url)
        assert web.text["app_a_open"] in html
    for who in ["mgr_b", "sw_b", "cw2", "resident", "evaluator", "expert", "nobody"]:
        page(web.client_for(who), url, 404)


def test_a_draft_application_stays_with_its_writers(web: WebWorld) -> None:
    url = application_url(web, "app_a_draft")
    for who in ["mgr_a", "cw1"]:
        page(web.client_for(who), url)
    for who in ["street", "dept", "mgr_b", "cw2"]:
        page(web.client_for(who), url, 404)


def test_after_the_decision_everybody_sees_the_awarded_application_only(web: WebWorld) -> None:
    for who in ["mgr_b", "resident", "nobody", "expert"]:
        html = page(web.client_for(who), application_url(web, "app_a_awarded"))
        assert web.text["app_a_awarded"] in html
    for who in ["mgr_a", "resident", "nobody", "expert", "cw1"]:
        page(web.client_for(who), application_url(web, "app_b_rejected"), 404)
    page(web.client_for("mgr_b"), application_url(web, "app_b_rejected"))


def test_review_is_blind_to_applicants(web: WebWorld) -> None:
    street_view = page(web.client_for("street"), application_url(web, "app_a_awarded"))
    assert "冯教授" in street_view  # the officers running the call see who reviewed
    applicant_view = page(web.client_for("mgr_a"), application_url(web, "app_a_awarded"))
    assert "冯教授" not in applicant_view


def test_assigned_expert_sees_applications_while_reviewing(web: WebWorld) -> None:
    call = Call.objects.get(pk=web.pk["open_call"])
    review_services.start_review(web.user("street"), call)
    url = application_url(web, "app_a_open")
    html = page(web.client_for("expert"), url)
    assert web.text["app_a_open"] in html
    assert web.text["app_a_open"] in home(web, "expert")
    page(web.client_for("mgr_b"), url, 404)  # the competitor still does not


def test_contract_page_shows_tranches_payments_milestones_and_evaluations(web: WebWorld) -> None:
    html = page(web.client_for("mgr_a"), contract_url(web))
    assert web.text["contract"] in html
    assert "¥95,000.00" in html  # the contract amount
    assert "¥28,500.00" in html  # the first tranche, 30 %, paid
    assert "2025-04-25" in html  # the payment date
    assert "86.00" in html  # the mid-term evaluation
    assert web.text["record"] in html


def test_contract_page_for_those_concerned(web: WebWorld) -> None:
    for who in ["mgr_a", "sw_a", "cw1", "street", "dept", "evaluator", "staff"]:
        page(web.client_for(who), contract_url(web))
    for who in ["mgr_b", "sw_b", "cw2", "resident", "expert", "nobody"]:
        page(web.client_for(who), contract_url(web), 404)


def test_unknown_objects_are_404(web: WebWorld) -> None:
    client = web.client_for("staff")
    for name in ["call-detail", "application-detail", "contract-detail"]:
        html = page(client, reverse(name, args=[999999]), 404)
        assert "未找到" in html  # the site's own page, in the site's language


# --- languages -------------------------------------------------------------------------------


def test_pages_are_in_chinese_by_default_and_in_english_after_switching(web: WebWorld) -> None:
    client = web.client_for("mgr_a")
    html = page(client, reverse("home"))
    assert '<html lang="zh-hans">' in html
    assert "我的工作" in html and "退出登录" in html
    assert "阳光社工服务中心" in html  # names in Chinese
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    html = page(client, reverse("home"))
    assert '<html lang="en">' in html
    assert "My work" in html and "Log out" in html
    assert "Sunshine Social Work" in html  # the English name where there is one
    assert "我的工作" not in html


def test_the_login_page_is_in_chinese_by_default(web: WebWorld) -> None:
    html = page(Client(), reverse("login"))
    assert "登录" in html


def test_the_login_page_points_to_the_demo_logins_when_the_demo_is_loaded(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert 'id="demo-hint"' not in page(Client(), reverse("login"))
    monkeypatch.setattr("grassroots.demo.is_loaded", lambda: True)
    html = page(Client(), reverse("login"))
    assert 'id="demo-hint"' in html and "make demo" in html
