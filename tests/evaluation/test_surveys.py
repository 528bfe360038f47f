"""Satisfaction surveys answered anonymously with one-time tokens.

One answer per token; answers checked before anything is kept; nothing stored with a response links it
to a token, a person or a time; few responses show no free text and cannot score the satisfaction
indicator, which the evaluator then scores by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import models

from grassroots.core.audit import AuditEvent
from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation
from grassroots.core.i18n import render_message
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation import surveys
from grassroots.evaluation.models import (
    Evaluation,
    EvaluationItem,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyToken,
)
from grassroots.evaluation.selectors import survey_facts, survey_results
from grassroots.orgs.models import Membership, Organization, Person
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2026, 3, 20)
TOKENS = 12


@dataclass(frozen=True)
class Built:
    evaluation: int
    survey: int
    tokens: list[str]


@pytest.fixture(scope="module")
def built(module_world: w.World, django_db_blocker: Any) -> Iterator[Built]:
    """A final evaluation with an open survey (the default questionnaire) and twelve tokens handed out."""
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            contract = w.funded_contract(world, agency=1)
            evaluation = evaluation_services.assign_evaluation(
                world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
            )
            survey = evaluation_services.create_survey(world.evaluator, evaluation)
            tokens = evaluation_services.issue_tokens(world.evaluator, survey, TOKENS, handed_to="东湖社区活动参与者")
            evaluation_services.open_survey(world.evaluator, survey)
            done = Built(evaluation.pk, survey.pk, tokens)
        yield done


@pytest.fixture
def survey(built: Built, world: w.World) -> Survey:
    return Survey.objects.get(pk=built.survey)


@pytest.fixture
def evaluation(built: Built, world: w.World) -> Evaluation:
    return Evaluation.objects.get(pk=built.evaluation)


def questions(survey: Survey) -> list[SurveyQuestion]:
    return list(survey.questions.order_by("position"))


def filled(survey: Survey, rating: int = 5, text: str | None = None) -> dict[int, Any]:
    """Every rating question answered `rating`, the free-text question `text` (or left empty)."""
    out: dict[int, Any] = {}
    for q in questions(survey):
        if q.kind == SurveyQuestion.Kind.LIKERT:
            out[q.pk] = rating
        elif text is not None:
            out[q.pk] = text
    return out


# --- creating and issuing -----------------------------------------------------------------------


def test_the_default_questionnaire(survey: Survey) -> None:
    assert (survey.title, survey.title_en, survey.scale, survey.state) == (
        *surveys.DEFAULT_TITLE,
        5,
        Survey.State.OPEN,
    )
    assert [(q.kind, q.text, q.text_en) for q in questions(survey)] == list(surveys.DEFAULT_QUESTIONS)


def test_a_questionnaire_needs_a_rating_and_every_question_its_text(world: w.World, evaluation: Evaluation) -> None:
    with w.refused(RuleViolation, match="at least one rating question"):
        evaluation_services.create_survey(world.evaluator, evaluation, questions=[("text", "意见", "")])
    with w.refused(RuleViolation, match="Every question needs its text"):
        evaluation_services.create_survey(world.evaluator, evaluation, questions=[("likert", "  ", "")])
    with w.refused(RuleViolation, match="a rating or free text"):
        evaluation_services.create_survey(
            world.evaluator, evaluation, questions=[("likert", "满意吗", ""), ("choice", "选一个", "")]
        )
    own = evaluation_services.create_survey(
        world.evaluator, evaluation, title="社区居委会满意度", questions=[("likert", " 合作顺畅吗？ ", "")]
    )
    assert (own.title, own.title_en, own.state) == ("社区居委会满意度", "", Survey.State.DRAFT)
    assert [(q.kind, q.text) for q in questions(own)] == [("likert", "合作顺畅吗？")]


def test_tokens_are_derived_and_only_their_digests_kept(built: Built, survey: Survey) -> None:
    tokens = built.tokens
    assert len(tokens) == len(set(tokens)) == TOKENS
    assert all(len(t) == surveys.LENGTH and t.isalnum() and t.isupper() for t in tokens)
    assert [evaluation_services.token_of(survey, serial) for serial in range(1, TOKENS + 1)] == tokens
    stored = list(survey.tokens.order_by("serial"))
    assert [(t.serial, t.digest, t.used, t.handed_to) for t in stored] == [
        (i + 1, hashlib.sha256(token.encode()).hexdigest(), False, "东湖社区活动参与者")
        for i, token in enumerate(tokens)
    ]
    # No table holds a token itself.
    everything = repr(w.fingerprint())
    assert not any(token in everything for token in tokens)


def test_a_second_batch_continues_the_serial_numbers(world: w.World, built: Built, survey: Survey) -> None:
    more = evaluation_services.issue_tokens(world.evaluator, survey, 3)
    assert set(more).isdisjoint(built.tokens)
    assert list(survey.tokens.order_by("serial").values_list("serial", flat=True)) == list(range(1, TOKENS + 4))


@pytest.mark.parametrize("count", [0, -1, evaluation_services.MAX_TOKENS + 1])
def test_tokens_are_issued_in_batches_of_a_sensible_size(world: w.World, survey: Survey, count: int) -> None:
    with w.refused(RuleViolation, match="Issue between 1 and"):
        evaluation_services.issue_tokens(world.evaluator, survey, count)


@pytest.mark.parametrize("who", ["agency manager", "street officer", "resident"])
def test_only_the_evaluator_runs_surveys(world: w.World, evaluation: Evaluation, survey: Survey, who: str) -> None:
    actor = {
        "agency manager": world.managers[1],
        "street officer": world.street_officer,
        "resident": world.residents[0][0],
    }[who]
    with w.refused(Forbidden):
        evaluation_services.create_survey(actor, evaluation)
    with w.refused(Forbidden):
        evaluation_services.issue_tokens(actor, survey, 5)
    with w.refused(Forbidden):
        evaluation_services.close_survey(actor, survey)


# --- answering ----------------------------------------------------------------------------------


def test_a_token_answers_once(built: Built, survey: Survey) -> None:
    token = built.tokens[0]
    evaluation_services.answer_survey(token, filled(survey, 4, " 希望多办活动 "))
    assert SurveyResponse.objects.filter(survey=survey).count() == 1
    stored = SurveyAnswer.objects.filter(response__survey=survey).order_by("question__position")
    assert list(stored.values_list("value", "text")) == [(4, "")] * 5 + [(None, "希望多办活动")]
    assert SurveyToken.objects.get(digest=surveys.digest(token)).used
    with w.refused(RuleViolation, match="already been used"):
        evaluation_services.answer_survey(token, filled(survey, 1))
    # Also when typed differently: lower case, grouped, with spaces.
    with w.refused(RuleViolation, match="already been used"):
        evaluation_services.answer_survey(f" {surveys.grouped(token).lower()} ", filled(survey, 1))


def test_a_token_may_be_typed_as_printed(built: Built, survey: Survey) -> None:
    typed = surveys.grouped(built.tokens[1]).lower()  # abcd-efgh-ijkl
    evaluation_services.answer_survey(typed, filled(survey, 3))
    assert SurveyResponse.objects.filter(survey=survey).count() == 1


@pytest.mark.parametrize("token", ["", "AAAA-BBBB-CCCC", "not a token at all"])
def test_an_unknown_token_is_refused(survey: Survey, token: str) -> None:
    with w.refused(RuleViolation, match="This code is not valid"):
        evaluation_services.answer_survey(token, filled(survey))


def test_answers_are_checked_before_anything_is_kept(built: Built, survey: Survey) -> None:
    token = built.tokens[2]
    rating = questions(survey)[0].pk
    for value, match in [
        (None, "Please answer"),
        ("很好", "Please answer"),
        (0, "between 1 and 5"),
        (6, "between 1 and 5"),
    ]:
        answers = filled(survey)
        answers[rating] = value
        with w.refused(RuleViolation, match=match):
            evaluation_services.answer_survey(token, answers)
    with w.refused(RuleViolation, match="Please answer"):
        evaluation_services.answer_survey(token, {})
    with w.refused(RuleViolation, match="do not belong to this survey"):
        evaluation_services.answer_survey(token, {**filled(survey), 999999: 3})
    # The token is still good: the free-text question may be left out.
    evaluation_services.answer_survey(token, filled(survey, 5))
    assert SurveyAnswer.objects.filter(response__survey=survey).count() == 5


def test_a_question_of_another_survey_is_refused(
    world: w.World, built: Built, evaluation: Evaluation, survey: Survey
) -> None:
    other = evaluation_services.create_survey(world.evaluator, evaluation, questions=[("likert", "合作顺畅吗？", "")])
    with w.refused(RuleViolation, match="do not belong to this survey"):
        evaluation_services.answer_survey(built.tokens[3], {**filled(survey), questions(other)[0].pk: 4})


def test_a_draft_or_closed_survey_takes_no_answers(
    world: w.World, built: Built, evaluation: Evaluation, survey: Survey
) -> None:
    draft = evaluation_services.create_survey(world.evaluator, evaluation)
    draft_token = evaluation_services.issue_tokens(world.evaluator, draft, 1)[0]
    with w.refused(RuleViolation, match="not open for answers"):
        evaluation_services.answer_survey(draft_token, filled(draft))
    evaluation_services.close_survey(world.evaluator, survey)
    with w.refused(RuleViolation, match="not open for answers"):
        evaluation_services.answer_survey(built.tokens[4], filled(survey))
    with w.refused(RuleViolation, match="This survey is closed"):
        evaluation_services.issue_tokens(world.evaluator, survey, 1)
    with w.refused(IllegalTransition):
        evaluation_services.open_survey(world.evaluator, survey)


def test_a_survey_opens_only_while_the_evaluation_is_open(world: w.World, evaluation: Evaluation) -> None:
    draft = evaluation_services.create_survey(world.evaluator, evaluation)
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "80"), on=DAY
    )
    with w.refused(RuleViolation, match="can no longer be changed"):
        evaluation_services.open_survey(world.evaluator, draft)
    with w.refused(RuleViolation, match="can no longer be changed"):
        evaluation_services.create_survey(world.evaluator, evaluation)


# --- anonymity ----------------------------------------------------------------------------------


def _links(model: type[models.Model]) -> list[tuple[str, Any]]:
    return [(f.name, f.related_model) for f in model._meta.get_fields() if f.is_relation]


@pytest.mark.parametrize("model", [SurveyResponse, SurveyAnswer])
def test_a_stored_answer_has_no_token_person_or_time(model: type[models.Model]) -> None:
    identifying = {SurveyToken, Person, get_user_model(), Membership, Organization, AuditEvent}
    assert not any(related in identifying for _name, related in _links(model))
    timed = (models.DateField, models.DateTimeField, models.TimeField, models.DurationField)
    assert not [f.name for f in model._meta.concrete_fields if isinstance(f, timed)]
    assert {related for _name, related in _links(model)} <= {Survey, SurveyQuestion, SurveyResponse, SurveyAnswer}
    # A response's id is random, so the order of the ids is not the order of the answers.
    assert isinstance(SurveyResponse._meta.pk, models.UUIDField)


def test_a_token_keeps_no_reference_to_its_response() -> None:
    assert {f.name for f in SurveyToken._meta.concrete_fields} == {
        "id",
        "survey",
        "serial",
        "digest",
        "handed_to",
        "used",
    }
    assert {related for _name, related in _links(SurveyToken)} == {Survey}


def test_answering_leaves_no_timed_trace_and_closing_counts_the_responses(
    world: w.World, built: Built, survey: Survey
) -> None:
    """A timed audit event per answer would tell when each response came; closing records only the count."""
    token = built.tokens[5]
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    evaluation_services.answer_survey(token, filled(survey, 4, "很好"))
    assert not AuditEvent.objects.filter(seq__gt=last).exists()
    evaluation_services.close_survey(world.evaluator, survey)
    events = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq"))
    assert [(e.action, e.after) for e in events][-1] == ("survey.responses", {"responses": 1})
    written = repr([(e.before, e.after, e.reason) for e in events])
    for secret in (token, surveys.digest(token), str(SurveyResponse.objects.get(survey=survey).pk), "很好"):
        assert secret not in written


def test_answers_have_random_ids_too() -> None:
    assert isinstance(SurveyAnswer._meta.pk, models.UUIDField)


# --- results and the satisfaction indicator -------------------------------------------------------


def test_results_count_ratings_and_hide_free_text_until_there_are_enough(built: Built, survey: Survey) -> None:
    comments = ["周末多办活动", "社工很耐心", "", "Activities on weekends", "希望继续"]
    for token, (rating, text) in zip(
        built.tokens, [(5, comments[0]), (4, comments[1]), (2, comments[2]), (5, comments[3])], strict=False
    ):
        evaluation_services.answer_survey(token, filled(survey, rating, text))
    results = survey_results(survey)
    assert (results.issued, results.responses, results.enough) == (TOKENS, 4, False)
    first = results.questions[0]
    assert (first.counts, first.answers, first.mean, first.satisfied) == ([0, 1, 0, 1, 2], 4, D("4.00"), D("0.75"))
    assert results.questions[-1].texts == []  # four responses: a comment could be told apart
    evaluation_services.answer_survey(built.tokens[4], filled(survey, 3, comments[4]))
    results = survey_results(survey)
    assert results.enough
    assert results.questions[-1].texts == sorted(c for c in comments if c)  # sorted, never in answering order
    assert results.questions[-1].texts != [c for c in comments if c]


def residents(evaluation: Evaluation) -> EvaluationItem:
    return EvaluationItem.objects.get(evaluation=evaluation, code="residents")


def test_five_responses_score_the_satisfaction_indicator(
    world: w.World, built: Built, survey: Survey, evaluation: Evaluation
) -> None:
    for token, rating in zip(built.tokens, [5, 5, 4, 2], strict=False):
        evaluation_services.answer_survey(token, filled(survey, rating))
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=DAY)
    item = residents(evaluation)
    assert (item.points, item.computed_points) == (None, None)  # four responses: too few
    assert render_message(item.basis) == "only 4 survey responses (at least 5 needed); to be scored by the evaluator"
    evaluation_services.answer_survey(built.tokens[4], filled(survey, 5))
    assert (survey_facts(evaluation).responses, survey_facts(evaluation).counts) == (5, {5: 15, 4: 5, 2: 5})
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=DAY)
    item = residents(evaluation)
    assert (item.points, item.computed_points) == (D("8.00"), D("8.00"))  # 20 of 25 answers at 4 or 5
    assert render_message(item.basis) == "20 of 25 answers satisfied or very satisfied (5 responses)"


def test_responses_after_the_evaluator_scored_by_hand_need_the_difference_explained(
    world: w.World, built: Built, survey: Survey, evaluation: Evaluation
) -> None:
    for token in built.tokens[:4]:
        evaluation_services.answer_survey(token, filled(survey, 5))
    # Four responses: the evaluator scores satisfaction from interviews, no comment needed.
    evaluation_services.score_evaluation(world.evaluator, evaluation, {"residents": {"points": "6"}}, on=DAY)
    evaluation_services.answer_survey(built.tokens[4], filled(survey, 5))
    scores = w.evaluation_scores(evaluation, "80")
    del scores["residents"]
    with w.refused(
        RuleViolation, match="“服务对象与居民满意度”: say why the points differ from the 10.00 the data gives"
    ):
        evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)
    scores["residents"] = {"comment": "访谈中多人表示不满，问卷样本偏向活动骨干"}
    evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)
    item = residents(evaluation)
    assert (item.points, item.computed_points, item.overridden) == (D("6.00"), D("10.00"), True)
