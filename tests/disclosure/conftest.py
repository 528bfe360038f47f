"""The portal's world: the pages' world of `tests/web/conftest.py` (a decided call with a running contract, an
open call, a draft call) plus what must never be published — survey answers, beneficiary codes, a resident's
note, the open call now under review by its expert — and an accepted mid-term evaluation, which is public.

Built once per module inside a transaction rolled back after it; the world keeps keys and texts only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from grassroots.contracts.models import Contract
from grassroots.delivery import services as delivery_services
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation, SurveyQuestion
from grassroots.funding.models import Call
from grassroots.orgs.models import Person
from grassroots.review import services as review_services
from tests.web.conftest import WebWorld, build_web_world, built_for_module

#: Text that names or describes a person, or is not yet public: no portal page or API answer may contain it.
PERSONAL = [
    # people: residents, social workers, officers, managers, the evaluator, the expert, logins
    "钱阿姨",
    "web_resident",
    "孙社工",
    "吴社工",
    "王科长",
    "Officer Wang",
    "李主任",
    "Director Li",
    "刘总干事",
    "周总干事",
    "郑评估师",
    "张书记",
    "陈书记",
    "冯教授",
    "web_expert",
    "无名氏",
    # what residents answered in the survey, beneficiaries' codes, notes and reports
    "王奶奶",
    "腿脚不便",
    "BNF-7788",
    "BNF-7789",
    "项目启动，团队到岗。",
    # applications that are not on a publicised list: drafts, competitors' bids, the one not funded
    "四点半课堂",
    "青春同行计划",
    "暑期成长营草稿",
    "长者食堂陪伴行动",
    # a draft call; single service records and evaluation comments
    "S街道为老服务二期（草稿）",
    "长者健康讲座",
    "scored in the test",
    "进展良好",
]


def build_portal_world() -> WebWorld:
    w = build_web_world()
    User = get_user_model()
    street_officer = User.objects.get(username=w.users["street"])
    evaluator = User.objects.get(username=w.users["evaluator"])
    contract = Contract.objects.get(pk=w.pk["contract"])

    midterm = Evaluation.objects.get(contract=contract, kind=Evaluation.Kind.MIDTERM)
    evaluation_services.accept_evaluation(street_officer, midterm)

    worker = Person.objects.get(user__username=w.users["sw_a"])
    delivery_services.record_service(
        worker.user,
        contract,
        kind="case",
        held_on=date(2025, 6, 3),
        title="入户探访",
        social_workers=[worker],
        beneficiaries=2,
        beneficiary_codes=["BNF-7788", "BNF-7789"],
        service_hours="1.5",
        notes="钱阿姨腿脚不便，改为上门服务。",
    )

    final = evaluation_services.assign_evaluation(
        street_officer, contract, evaluator=midterm.evaluator, kind=Evaluation.Kind.FINAL
    )
    survey = evaluation_services.create_survey(evaluator, final)
    tokens = evaluation_services.issue_tokens(evaluator, survey, 5)
    evaluation_services.open_survey(evaluator, survey)
    questions = list(survey.questions.all())
    for i, token in enumerate(tokens):
        answers = {
            q.pk: (4 + i % 2) if q.kind == SurveyQuestion.Kind.LIKERT else f"王奶奶说活动很好 {i}" for q in questions
        }
        evaluation_services.answer_survey(token, answers)

    open_call = Call.objects.get(pk=w.pk["open_call"])
    review_services.start_review(street_officer, open_call, today=date(2025, 7, 1))
    w.pk["final"] = final.pk
    w.pk["midterm"] = midterm.pk
    w.pk["survey"] = survey.pk
    return w


@pytest.fixture(scope="module")
def portal_module_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[WebWorld]:
    with built_for_module(django_db_blocker, build_portal_world) as built:
        yield built


@pytest.fixture
def portal(portal_module_world: WebWorld, db: None) -> WebWorld:
    return portal_module_world
