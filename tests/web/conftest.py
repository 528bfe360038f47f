"""The pages' own small world: one year run to the end on one call, and a second call still open.

Built through the services only (the bootstrap superuser aside), once per test module inside a
transaction rolled back at the end; each test runs in its own savepoint. The world keeps primary keys
and login names, never live objects, so no test can see another's in-memory changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

from grassroots.applications import services as application_services
from grassroots.awards import services as award_services
from grassroots.awards.models import Award
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Milestone
from grassroots.core.uscc import make_uscc
from grassroots.delivery import services as delivery_services
from grassroots.evaluation import services as evaluation_services
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call
from grassroots.needs import services as needs_services
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Organization, Person
from grassroots.review import services as review_services
from grassroots.review.models import Review
from tests.world import evaluation_scores

DRAFTED_ON = date(2025, 2, 10)  # the decided call's applications, written and handed in while it was open
SUBMITTED_ON = date(2025, 2, 20)

PASSWORD = "correct horse battery staple"


@dataclass
class WebWorld:
    """Login names, primary keys and the titles the pages must (or must not) show."""

    users: dict[str, str] = field(default_factory=dict)  # role key → login name
    pk: dict[str, int] = field(default_factory=dict)  # object key → primary key
    text: dict[str, str] = field(default_factory=dict)  # object key → a title or name to look for

    def user(self, key: str) -> Any:
        return get_user_model().objects.get(username=self.users[key])

    def client_for(self, key: str) -> Client:
        client = Client()
        client.force_login(self.user(key))
        return client


def _uscc(authority: str, kind: str, serial: int) -> str:
    return make_uscc(authority, kind, "350102", f"WB{serial:07d}")


def _person(actor: Any, org: Organization, role: str, username: str, name: str, **kwargs: Any) -> Person:
    person = org_services.add_person(actor, name=name, username=username, **kwargs)
    org_services.add_membership(actor, person=person, organization=org, role=role)
    return person


def _lines(personnel: str, activities: str, management: str) -> list[dict[str, Any]]:
    return [
        {"head": "personnel", "description": "社工人力", "amount": personnel},
        {"head": "activities", "description": "活动开展", "amount": activities},
        {"head": "management", "description": "管理费", "amount": management},
    ]


INDICATORS = [{"name": "服务人次", "target": "300", "unit": "人次", "measure": "beneficiaries"}]
CRITERIA = [("需求契合度", "Fit to needs", "50"), ("专业能力", "Professional capacity", "50")]


def build_web_world() -> WebWorld:
    w = WebWorld()
    User = get_user_model()
    admin = User.objects.create_superuser("web_admin", "admin@example.org", None)
    w.users["staff"] = "web_admin"
    elderly = funding_services.ensure_category("elderly", "为老服务", "Services for older people")
    youth = funding_services.ensure_category("youth", "青少年服务", "Youth services")

    register = org_services.register_organization
    dept = register(admin, kind="department", name="W市民政局", name_en="W City Civil Affairs", uscc=_uscc("1", "1", 1))
    street = register(
        admin, kind="street", name="S街道办事处", name_en="S Street Office", uscc=_uscc("1", "1", 2), parent=dept
    )
    c1 = register(
        admin, kind="community", name="东湖社区", name_en="Donghu Community", uscc=_uscc("5", "5", 3), parent=street
    )
    c2 = register(
        admin, kind="community", name="西园社区", name_en="Xiyuan Community", uscc=_uscc("5", "5", 4), parent=street
    )
    agency_a = register(
        admin, kind="agency", name="阳光社工服务中心", name_en="Sunshine Social Work", uscc=_uscc("5", "2", 5)
    )
    agency_b = register(
        admin, kind="agency", name="同心社工事务所", name_en="Tongxin Social Work", uscc=_uscc("5", "2", 6)
    )
    evaluator_org = register(
        admin, kind="evaluator", name="明德评估中心", name_en="Mingde Evaluation", uscc=_uscc("5", "2", 7)
    )
    w.text.update(dept="W市民政局", street="S街道办事处", c1="东湖社区", c2="西园社区", agency_a="阳光社工服务中心")

    dept_officer = _person(admin, dept, "officer", "web_dept", "王科长", name_en="Officer Wang").user
    street_officer = _person(admin, street, "officer", "web_street", "李主任", name_en="Director Li").user
    cw1 = _person(admin, c1, "community_worker", "web_cw1", "张书记").user
    cw2 = _person(admin, c2, "community_worker", "web_cw2", "陈书记").user
    mgr_a = _person(admin, agency_a, "manager", "web_mgr_a", "刘总干事", password=PASSWORD).user
    mgr_b = _person(admin, agency_b, "manager", "web_mgr_b", "周总干事").user
    sw_a = _person(admin, agency_a, "social_worker", "web_sw_a", "孙社工", certificate="intermediate")
    sw_b = _person(admin, agency_b, "social_worker", "web_sw_b", "吴社工", certificate="assistant")
    evaluator = _person(admin, evaluator_org, "evaluator", "web_eva", "郑评估师").user
    _person(admin, c1, "resident", "web_resident", "钱阿姨", home_community=c1)
    expert_person = org_services.add_person(admin, name="冯教授", username="web_expert")
    expert = org_services.register_expert(admin, person=expert_person, expertise=["elderly", "youth"], capacity=10)
    org_services.add_person(admin, name="无名氏", username="web_nobody")
    w.users.update(
        dept="web_dept",
        street="web_street",
        cw1="web_cw1",
        cw2="web_cw2",
        mgr_a="web_mgr_a",
        mgr_b="web_mgr_b",
        sw_a="web_sw_a",
        sw_b="web_sw_b",
        evaluator="web_eva",
        resident="web_resident",
        expert="web_expert",
        nobody="web_nobody",
    )
    assert sw_a.user is not None and sw_b.user is not None and expert.person.user is not None

    need_1 = needs_services.raise_need(
        cw1, community=c1, title="独居老人探访", category=elderly, raised_on=date(2025, 1, 10), people_affected=40
    )
    needs_services.raise_need(cw2, community=c2, title="儿童课后托管", category=youth, raised_on=date(2025, 1, 12))
    w.text.update(need_c1="独居老人探访", need_c2="儿童课后托管")

    program = funding_services.create_program(
        dept_officer,
        department=dept,
        title="2025年社区公益服务项目",
        title_en="Community services 2025",
        fiscal_year=2025,
        budget="1000000",
        categories=[elderly, youth],
    )
    funding_services.open_program(dept_officer, program)
    envelope = funding_services.allocate_envelope(dept_officer, program=program, street=street, amount="600000")
    w.text["program"] = "2025年社区公益服务项目"

    def make_call(title: str, title_en: str, funds: str, category: Any, opens: date) -> Call:
        return funding_services.create_call(
            street_officer,
            program=program,
            envelope=envelope,
            title=title,
            title_en=title_en,
            funds=funds,
            opens_on=opens,
            closes_on=date(opens.year, opens.month, 28),
            categories=[category],
            criteria=CRITERIA,
            reviewers_per_application=1,
        )

    # The decided call: A is funded, B is not.
    decided = make_call("S街道为老服务项目", "S Street elderly care", "200000", elderly, date(2025, 2, 1))
    funding_services.open_call(street_officer, decided)
    app_a = application_services.create_draft(
        mgr_a,
        on=DRAFTED_ON,
        call=decided,
        lead_agency=agency_a,
        title="银龄互助计划",
        title_en="Silver mutual aid",
        category=elderly,
        communities=[c1],
        team=[(sw_a, "lead")],
        indicators=INDICATORS,
        budget_lines=_lines("50000", "40000", "5000"),
        needs=[need_1],
    )
    app_b = application_services.create_draft(
        mgr_b,
        on=DRAFTED_ON,
        call=decided,
        lead_agency=agency_b,
        title="长者食堂陪伴行动",
        category=elderly,
        communities=[c2],
        team=[(sw_b, "lead")],
        indicators=INDICATORS,
        budget_lines=_lines("80000", "62000", "8000"),
    )
    application_services.submit(mgr_a, app_a, on=SUBMITTED_ON)
    application_services.submit(mgr_b, app_b, on=SUBMITTED_ON)
    review_services.start_review(street_officer, decided, today=date(2025, 3, 3))
    expert_user = expert.person.user
    for review in Review.objects.filter(application__call=decided):
        value = "90" if review.application_id == app_a.pk else "70"
        review_services.submit_scores(expert_user, review, {c.pk: value for c in decided.criteria.all()})
    decided.refresh_from_db()
    review_services.close_panel(street_officer, decided)
    award_list = award_services.propose_awards(street_officer, decided)
    award_services.start_publicity(street_officer, award_list, starts_on=date(2025, 3, 10))
    award_services.decide(dept_officer, award_list, on=date(2025, 3, 17))
    award = Award.objects.get(application=app_a, state=Award.State.CONFIRMED)
    contract = contract_services.draft_contract(street_officer, award, starts_on=date(2025, 4, 1))
    contract_services.sign_contract(mgr_a, contract, on=date(2025, 3, 25))
    start = contract.milestones.get(kind=Milestone.Kind.START)
    contract_services.submit_milestone(mgr_a, start, "项目启动，团队到岗。")
    contract_services.review_milestone(street_officer, start, accept=True, on=date(2025, 4, 20))
    tranche = contract.tranches.get(position=1)
    contract_services.pay_tranche(dept_officer, tranche, idempotency_key="web-t1", on=date(2025, 4, 25))
    evaluation = evaluation_services.assign_evaluation(
        street_officer, contract, evaluator=evaluator_org, kind="midterm"
    )
    evaluation_services.submit_evaluation(
        evaluator,
        evaluation,
        scores=evaluation_scores(evaluation, "86"),
        summary="进展良好。",
        on=date(2025, 9, 30),
    )
    delivery_services.record_service(
        sw_a.user,
        contract,
        kind="group",
        held_on=date(2025, 5, 8),
        title="长者健康讲座",
        social_workers=[sw_a],
        beneficiaries=32,
        service_hours="2",
    )
    w.pk.update(decided_call=decided.pk, app_a_awarded=app_a.pk, app_b_rejected=app_b.pk, contract=contract.pk)
    w.text.update(
        decided_call="S街道为老服务项目",
        app_a_awarded="银龄互助计划",
        app_b_rejected="长者食堂陪伴行动",
        contract=contract.number,
        record="长者健康讲座",
    )

    # The open call: A has a submitted application and a draft, B a submitted one.
    open_call = make_call("S街道青少年成长项目", "S Street youth growth", "150000", youth, date(2025, 6, 1))
    funding_services.open_call(street_officer, open_call)

    def youth_application(manager: Any, agency: Organization, title: str, community: Organization, worker: Person):
        return application_services.create_draft(
            manager,
            on=date(2025, 6, 5),
            call=open_call,
            lead_agency=agency,
            title=title,
            category=youth,
            communities=[community],
            team=[(worker, "lead")],
            indicators=INDICATORS,
            budget_lines=_lines("40000", "35000", "5000"),
        )

    a_submitted = youth_application(mgr_a, agency_a, "四点半课堂", c1, sw_a)
    application_services.submit(mgr_a, a_submitted, on=date(2025, 6, 15))
    a_draft = youth_application(mgr_a, agency_a, "暑期成长营草稿", c1, sw_a)
    b_submitted = youth_application(mgr_b, agency_b, "青春同行计划", c2, sw_b)
    application_services.submit(mgr_b, b_submitted, on=date(2025, 6, 15))
    w.pk.update(open_call=open_call.pk, app_a_open=a_submitted.pk, app_a_draft=a_draft.pk, app_b_open=b_submitted.pk)
    w.text.update(
        open_call="S街道青少年成长项目",
        app_a_open="四点半课堂",
        app_a_draft="暑期成长营草稿",
        app_b_open="青春同行计划",
    )

    # A draft call nobody outside the offices may see.
    draft_call = make_call(
        "S街道为老服务二期（草稿）", "S Street elderly care II (draft)", "50000", elderly, date(2025, 9, 1)
    )
    w.pk["draft_call"] = draft_call.pk
    w.text["draft_call"] = "S街道为老服务二期（草稿）"
    return w


@contextmanager
def built_for_module(django_db_blocker: Any, build: Callable[[], WebWorld]) -> Iterator[WebWorld]:
    """`build()` inside a transaction kept open for a module and rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def web_module_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[WebWorld]:
    with built_for_module(django_db_blocker, build_web_world) as built:
        yield built


@pytest.fixture
def web(web_module_world: WebWorld, db: None) -> WebWorld:
    return web_module_world


@pytest.fixture
def taking_applications(web: WebWorld) -> WebWorld:
    """The open call still takes applications today: its closing day moves past today for this test only (the
    world's call closed on 28 June 2025, and a call takes nothing after its closing day)."""
    Call.objects.filter(pk=web.pk["open_call"]).update(closes_on=date(2099, 12, 31))
    return web
