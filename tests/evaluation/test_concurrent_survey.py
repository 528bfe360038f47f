"""Many simultaneous answers with one survey token store exactly one response (PostgreSQL, real transactions).

Each thread has its own connection and transaction, as simultaneous web requests would; the conditional
update in `answer_survey` (used = false → true) must let exactly one of them through. SQLite serialises
writers by design, so the test runs where CI runs the suite on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection

from grassroots.core.audit import verify
from grassroots.core.errors import RuleViolation
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyToken
from tests import world as w
from tests.concurrency import THREADS, race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: run with DATABASE_URL set"),
]


@pytest.fixture
def open_survey() -> tuple[Survey, list[str], dict[int, Any]]:
    world = w.build_world()
    contract = w.funded_contract(world)
    evaluation = evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
    )
    survey = evaluation_services.create_survey(world.evaluator, evaluation)
    tokens = evaluation_services.issue_tokens(world.evaluator, survey, THREADS)
    survey = evaluation_services.open_survey(world.evaluator, survey)
    answers: dict[int, Any] = {
        q.pk: 4 if q.kind == SurveyQuestion.Kind.LIKERT else "很好" for q in survey.questions.all()
    }
    return survey, tokens, answers


def test_one_token_answers_once_however_many_try_at_once(open_survey: tuple[Survey, list[str], dict[int, Any]]) -> None:
    survey, tokens, answers = open_survey
    outcomes = race(lambda i: evaluation_services.answer_survey(tokens[0], answers), THREADS)
    answered = [o for o in outcomes if isinstance(o, Survey)]
    refused = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(answered) == 1 and len(refused) == THREADS - 1, Counter(type(o).__name__ for o in outcomes)
    assert all("already been used" in str(o) for o in refused)
    assert SurveyResponse.objects.filter(survey=survey).count() == 1
    assert SurveyAnswer.objects.filter(response__survey=survey).count() == len(answers)
    assert list(SurveyToken.objects.filter(survey=survey, used=True).values_list("serial", flat=True)) == [1]
    assert verify().ok


def test_different_tokens_at_once_each_answer(open_survey: tuple[Survey, list[str], dict[int, Any]]) -> None:
    survey, tokens, answers = open_survey
    outcomes = race(lambda i: evaluation_services.answer_survey(tokens[i], answers), THREADS)
    assert all(isinstance(o, Survey) for o in outcomes), Counter(type(o).__name__ for o in outcomes)
    assert SurveyResponse.objects.filter(survey=survey).count() == THREADS
    assert not SurveyToken.objects.filter(survey=survey, used=False).exists()
    assert verify().ok
