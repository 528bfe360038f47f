"""The review pages: the officers' review of a call (starting it, the eligibility results, the assignment
matrix, conflicts, vacancies, changing reviewers, closing the panel and the ranking) and the reviewers'
pages (their assignments, the score sheet, declaring a conflict), with who may see and do what, and the
blind-review rule: a reviewer never sees who else reviews an application, nor their scores."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.applications.models import Application
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call
from grassroots.review import services as review_services
from grassroots.review.models import Conflict, Review, Score
from tests import world as w

pytestmark = pytest.mark.django_db

ROLES = ["street", "other_street", "dept", "staff", "reviewer", "expert", "applicant", "competitor", "resident"]
OVERSEERS = {"street", "dept", "staff"}


@dataclass
class Panel:
    """A call under review: agency 0's application (`own`) and its competitor's (`rival`), two reviewers each."""

    call: Call
    own: Application
    rival: Application
    review: Review  # the reviewer's review of `own`
    other: Review  # the other review of `own` (the co-reviewer's)
    users: dict[str, Any]


def client(user: Any) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    return browser


def html_of(response: Any) -> str:
    return response.content.decode()


def errors_in(html: str) -> list[str]:
    return re.findall(r'<li class="error">(.*?)</li>', html, flags=re.S)


def successes_in(html: str) -> list[str]:
    return re.findall(r'<li class="success">(.*?)</li>', html, flags=re.S)


@contextmanager
def unchanged() -> Iterator[None]:
    """The block's requests must leave every domain table exactly as it was."""
    before = w.fingerprint()
    yield
    after = w.fingerprint()
    assert [label for label in before if before[label] != after[label]] == []


def users_of(world: w.World, call: Call, reviewer: Any) -> dict[str, Any]:
    busy = set(Review.objects.filter(application__call=call).values_list("expert_id", flat=True))
    busy |= set(Conflict.objects.filter(application__call=call).values_list("expert_id", flat=True))
    idle = next(e for e in world.experts if e.pk not in busy)
    return {
        "street": world.street_officer,
        "other_street": world.other_street_officer,
        "dept": world.dept_officer,
        "staff": world.admin,
        "reviewer": reviewer,
        "expert": world.expert_user(idle),
        "applicant": world.managers[0],
        "competitor": world.managers[1],
        "resident": world.residents[0][0],
    }


def open_call(world: w.World, **kwargs: Any) -> tuple[Call, Application, Application]:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=2, **kwargs)
    own = w.submitted_application(world, call, agency=0, title="阳光长者互助计划")
    rival = w.submitted_application(world, call, agency=1, title="同心邻里守望行动")
    return call, own, rival


@pytest.fixture
def panel(world: w.World) -> Panel:
    call, own, rival = open_call(world)
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    first, second = Review.objects.filter(application=own).select_related("expert__person__user").order_by("pk")
    call.refresh_from_db()
    return Panel(call, own, rival, first, second, users_of(world, call, first.expert.person.user))


def points_post(call: Call, given: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The score sheet filled in: `given` maps a criterion's English name to its points (else 80% of its weight)."""
    data = {"comment": "方案可行。"}
    for criterion in call.criteria.all():
        value = (given or {}).get(criterion.name_en, str(criterion.weight * Decimal("0.8")))
        data[f"points-{criterion.pk}"] = value
        data[f"comment-{criterion.pk}"] = f"关于{criterion.name}的意见"
    data.update(extra)
    return data


def score_all(world: w.World, call: Call, value: str = "80") -> None:
    w.score_everything(world, call, {a: value for a in call.applications.values_list("pk", flat=True)})


# --- who sees what -----------------------------------------------------------------------------------------


def expected(page: str, who: str) -> int:
    if page == "mine":
        return 200  # everyone has a list of their own reviews, empty or not
    if page == "review":
        return 200 if who == "reviewer" else 404  # one expert's review is theirs alone
    if page == "draft":
        return 200 if who in OVERSEERS else 404  # a draft call does not exist for others
    return 200 if who in OVERSEERS else 403  # the review of a published call: for its officers


@pytest.mark.parametrize("page", ["board", "mine", "review", "draft"])
def test_permission_matrix_of_the_review_pages(panel: Panel, page: str) -> None:
    call = panel.call
    draft = funding_services.create_call(
        panel.users["street"],
        program=call.program,
        envelope=call.envelope,
        title="草稿指南",
        funds="1000.00",
        opens_on=w.CALL_OPENS,
        closes_on=w.CALL_CLOSES,
        categories=list(call.categories.all()),
        criteria=w.CRITERIA,
    )
    url = {
        "board": reverse("call-review", args=[call.pk]),
        "mine": reverse("my-reviews"),
        "review": reverse("review-detail", args=[panel.review.pk]),
        "draft": reverse("call-review", args=[draft.pk]),
    }[page]
    seen = {who: client(user).get(url).status_code for who, user in panel.users.items()}
    assert seen == {who: expected(page, who) for who in ROLES}
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_forbidden_reviews_say_why(panel: Panel) -> None:
    response = client(panel.users["applicant"]).get(reverse("call-review", args=[panel.call.pk]))
    assert response.status_code == 403
    assert "Only the officers running this call" in html_of(response)
    assert "专家" not in html_of(response)  # not a single reviewer's name


def test_unknown_objects_are_404(panel: Panel) -> None:
    staff = client(panel.users["staff"])
    assert staff.get(reverse("call-review", args=[999999])).status_code == 404
    assert staff.get(reverse("review-detail", args=[999999])).status_code == 404


def test_the_department_follows_the_review_without_running_it(panel: Panel) -> None:
    dept = client(panel.users["dept"])
    html = html_of(dept.get(reverse("call-review", args=[panel.call.pk])))
    assert "only an officer of S Street Office runs it" in html
    assert 'id="matrix"' in html and panel.review.expert.person.name in html
    assert "<form" not in html.split('id="progress"')[1]  # no button of the review for the department
    with unchanged():
        response = dept.post(
            reverse("call-review-remove", args=[panel.call.pk]), {"review": panel.review.pk, "remove_reason": "x"}
        )
    assert response.status_code == 403
    assert any("Only an officer of S Street Office" in e for e in errors_in(html_of(response)))


# --- starting the review -------------------------------------------------------------------------------------


def test_starting_the_review_shows_the_counts_eligibility_matrix_and_conflicts(world: w.World) -> None:
    call, _own, _rival = open_call(world, max_request="150000.00")
    greedy = w.submitted_application(world, call, agency=2, requested="150000.01", title="超额申请")
    street = client(world.street_officer)
    url = reverse("call-review", args=[call.pk])
    html = html_of(street.get(url))
    assert "Start the review" in html and "3 applications have been handed in." in html
    response = street.post(reverse("call-review-start", args=[call.pk]), follow=True)
    html = html_of(response)
    # agency 0's own expert conflicts with its application and, as a competitor's staff, with agency 1's
    assert successes_in(html) == [
        "The review has started. Eligible applications: 2 · conflicts of interest found: 2 · reviews assigned: 4."
    ]
    assert Call.objects.get(pk=call.pk).state == Call.State.REVIEW
    assert 'data-call-state="review"' in html and "Start the review" not in html
    eligibility = html.split('id="eligibility"')[1].split("</section>")[0]
    assert 'class="badge ineligible"' in eligibility and greedy.reference in eligibility
    assert "the request 150000.01 exceeds the call&#x27;s largest request 150000.00" in eligibility
    matrix = html.split('id="matrix"')[1].split("</section>")[0]
    for review in Review.objects.filter(application__call=call).select_related("expert__person"):
        assert f'data-review="{review.pk}"' in matrix and review.expert.person.name in matrix
    assert matrix.count('class="badge cancelled"') == 2  # the two conflicts, in the expert's column
    conflicts = html.split('id="conflicts"')[1].split("</section>")[0]
    assert "专家0" in conflicts and "applying agency" in conflicts and "competes in the same call" in conflicts
    assert "0 of 4" in html  # scores in


def test_a_review_refused_leaves_the_call_open(world: w.World) -> None:
    call, _own, _rival = open_call(world)
    call.reviewers_per_application = 6  # more reviewers than the pool holds
    call.save(update_fields=["reviewers_per_application"])
    clients = [client(user) for user in [world.street_officer, world.dept_officer, world.managers[0]]]
    street, others = clients[0], [*clients[1:], client(world.other_street_officer)]
    with unchanged():
        response = street.post(reverse("call-review-start", args=[call.pk]))
        assert response.status_code == 400
        assert any("expert pool is too small" in e for e in errors_in(html_of(response)))
        assert 'data-call-state="open"' in html_of(response)  # the page shows the call as it still is
        for other in others:
            assert other.post(reverse("call-review-start", args=[call.pk])).status_code == 403


def test_writes_are_post_only(panel: Panel) -> None:
    street = client(panel.users["street"])
    for name in ["call-review-start", "call-review-fill", "call-review-assign", "call-review-close"]:
        assert street.get(reverse(name, args=[panel.call.pk])).status_code == 405
    assert client(panel.users["reviewer"]).get(reverse("review-score", args=[panel.review.pk])).status_code == 405


# --- changing the reviewers --------------------------------------------------------------------------------


def test_removing_a_reviewer_leaves_a_vacancy_that_filling_assigns(panel: Panel) -> None:
    street = client(panel.users["street"])
    call = panel.call
    response = street.post(
        reverse("call-review-remove", args=[call.pk]),
        {"review": panel.review.pk, "remove_reason": "出差无法参加评审"},
        follow=True,
    )
    html = html_of(response)
    assert Review.objects.get(pk=panel.review.pk).state == Review.State.WITHDRAWN
    assert successes_in(html) == [
        f"{panel.review.expert.person.name} no longer reviews {panel.own.reference}; the seat is vacant."
    ]
    vacancies = html.split('id="vacancies"')[1].split("</section>")[0]
    assert f'data-vacant="{panel.own.pk}"' in vacancies and "1 seat to fill" in vacancies
    html = html_of(street.post(reverse("call-review-fill", args=[call.pk]), follow=True))
    assert successes_in(html) == ["1 reviewer was assigned."]
    assert "Every eligible application has its reviewers." in html
    assert review_services.vacancies(call) == {}


def test_assigning_by_hand_and_adding_a_conflict(panel: Panel, world: w.World) -> None:
    street = client(panel.users["street"])
    call = panel.call
    idle = world.experts[[e.person.user_id for e in world.experts].index(panel.users["expert"].pk)]
    html = html_of(
        street.post(
            reverse("call-review-conflict", args=[call.pk]),
            {
                "conflict_expert": panel.review.expert_id,
                "conflict_application": panel.own.pk,
                "conflict_reason": "亲属",
            },
            follow=True,
        )
    )
    assert Conflict.objects.filter(expert=panel.review.expert, application=panel.own, source="manual").exists()
    assert Review.objects.get(pk=panel.review.pk).state == Review.State.WITHDRAWN
    assert "亲属" in html.split('id="conflicts"')[1]
    html = html_of(
        street.post(
            reverse("call-review-assign", args=[call.pk]), {"application": panel.own.pk, "expert": idle.pk}, follow=True
        )
    )
    assert Review.objects.filter(application=panel.own, expert=idle, state=Review.State.ASSIGNED).exists()
    assert successes_in(html) == [f"{idle.person.name} now reviews {panel.own.reference}."]
    with unchanged():  # the conflicted expert cannot be brought back by hand; the choices stay selected
        response = street.post(
            reverse("call-review-assign", args=[call.pk]), {"application": panel.own.pk, "expert": world.experts[0].pk}
        )
        assert response.status_code == 400
        html = html_of(response)
        assert any("has a conflict of interest" in e for e in errors_in(html))
        assert f'<option value="{world.experts[0].pk}" selected>' in html
        assert f'<option value="{panel.own.pk}" selected>' in html


def test_refused_changes_say_why_and_keep_the_form(panel: Panel) -> None:
    street = client(panel.users["street"])
    call = panel.call
    with unchanged():
        response = street.post(
            reverse("call-review-remove", args=[call.pk]), {"review": panel.review.pk, "remove_reason": "  "}
        )
        assert response.status_code == 400
        assert errors_in(html_of(response)) == ["Say why the reviewer is removed."]
        assert f'<option value="{panel.review.pk}" selected>' in html_of(response)
        response = street.post(reverse("call-review-assign", args=[call.pk]), {"application": "x", "expert": "1"})
        assert errors_in(html_of(response)) == ["Choose an eligible application of this call."]
        response = street.post(
            reverse("call-review-conflict", args=[call.pk]),
            {"conflict_expert": panel.review.expert_id, "conflict_application": panel.own.pk, "conflict_reason": ""},
        )
        assert response.status_code == 400
        assert errors_in(html_of(response)) == ["Say what the conflict of interest is."]
        response = street.post(reverse("call-review-close", args=[call.pk]), {"method": "mean"})
        assert response.status_code == 400
        assert errors_in(html_of(response)) == ["4 review(s) are still open."]
        response = street.post(reverse("call-review-close", args=[call.pk]), {"method": "median"})
        assert errors_in(html_of(response)) == ["Unknown way of aggregating scores: median"]


# --- the reviewer -------------------------------------------------------------------------------------------


def test_the_reviewer_scores_blind(panel: Panel, world: w.World) -> None:
    call, review, other = panel.call, panel.review, panel.other
    co_name = other.expert.person.name
    review_services.submit_scores(
        other.expert.person.user,
        other,
        {c.pk: "55" for c in call.criteria.all()},
        comment="第二位专家的保留意见",
        comments={c.pk: "第二位专家的细评" for c in call.criteria.all()},
    )
    reviewer = client(panel.users["reviewer"])
    url = reverse("review-detail", args=[review.pk])
    html = html_of(reviewer.get(url))
    assert "阳光长者互助计划" in html and "Score sheet" in html
    assert 'name="points-' in html and 'max="40"' in html and 'max="30"' in html
    for secret in [co_name, "第二位专家", "55.00"]:  # who else reviews it, and how, stays hidden
        assert secret not in html
    weights = {c.name_en: c.weight for c in call.criteria.all()}
    given = {"Fit to consulted needs": "36", "Project design": "25.5", "Team capacity": "20"}
    response = reviewer.post(reverse("review-score", args=[review.pk]), points_post(call, given), follow=True)
    html = html_of(response)
    assert successes_in(html)[0].startswith("Your scores were submitted.")
    review.refresh_from_db()
    assert review.state == Review.State.SUBMITTED and review.total == Decimal("81.50")  # the sum of the points
    stored = {s.criterion.name_en: s.value for s in Score.objects.filter(review=review).select_related("criterion")}
    assert stored == {name: (Decimal(given[name]) * 100 / weights[name]).quantize(Decimal("0.01")) for name in given}
    assert "My scores" in html and "data-total>81.50<" in html and "25.5 / 30" in html
    assert "关于需求契合度的意见" in html and "方案可行。" in html
    for page in [html, html_of(reviewer.get(reverse("my-reviews")))]:
        assert co_name not in page and "第二位专家" not in page and "55.00" not in page
    score_all(world, call)
    client(panel.users["street"]).post(reverse("call-review-close", args=[call.pk]), {"method": "mean"})
    html = html_of(reviewer.get(url))  # after the panel the application has left the reviewers' eyes
    assert "no longer open to its reviewers" in html and co_name not in html and "第二位专家" not in html
    assert html_of(client(panel.users["applicant"]).get(reverse("call-awards", args=[call.pk]))).count("专家") == 0


def test_a_refused_score_sheet_keeps_what_was_typed(panel: Panel) -> None:
    call, review = panel.call, panel.review
    reviewer = client(panel.users["reviewer"])
    others = [client(panel.users[who]) for who in ["street", "applicant", "expert", "staff"]]
    url = reverse("review-score", args=[review.pk])
    with unchanged():
        response = reviewer.post(url, points_post(call, {"Fit to consulted needs": "45"}))
        assert response.status_code == 400
        html = html_of(response)
        assert errors_in(html) == ["Fit to consulted needs: give from 0 to 40 points."]
        assert 'value="45"' in html and "关于方案设计的意见" in html and "方案可行。" in html
        response = reviewer.post(url, points_post(call, {"Project design": "很好"}))
        assert errors_in(html_of(response)) == ["Project design: give a number."]
        response = reviewer.post(url, points_post(call, {"Team capacity": "20.125"}))
        assert errors_in(html_of(response)) == ["Team capacity: give the points with at most two decimals."]
        response = reviewer.post(url, points_post(call, {"Team capacity": "-1"}))
        assert response.status_code == 400
        for other in others:  # someone else's review does not exist for them
            assert other.post(url, points_post(call)).status_code == 404
    assert reviewer.post(url, points_post(call)).status_code == 302
    with unchanged():
        response = reviewer.post(url, points_post(call))  # a second submission
        assert response.status_code == 400
        assert "My scores" in html_of(response)


def test_declaring_a_conflict_withdraws_and_leaves_a_vacancy(panel: Panel) -> None:
    reviewer = client(panel.users["reviewer"])
    url = reverse("review-declare", args=[panel.review.pk])
    with unchanged():
        response = reviewer.post(url, {"reason": ""})
        assert response.status_code == 400 and errors_in(html_of(response)) == ["Say what the conflict of interest is."]
    response = reviewer.post(url, {"reason": "我曾担任该机构督导"})
    assert response.status_code == 302 and response["Location"] == reverse("my-reviews")
    assert Review.objects.get(pk=panel.review.pk).state == Review.State.WITHDRAWN
    assert Conflict.objects.filter(expert=panel.review.expert, application=panel.own, source="declared").exists()
    html = html_of(reviewer.get(reverse("review-detail", args=[panel.review.pk])))
    assert "You no longer review this application." in html and "我曾担任该机构督导" in html
    assert "阳光社工服务中心" not in html  # the application itself is closed to them now
    board = html_of(client(panel.users["street"]).get(reverse("call-review", args=[panel.call.pk])))
    assert f'data-vacant="{panel.own.pk}"' in board


def test_my_reviews_lists_open_then_done(panel: Panel, world: w.World) -> None:
    reviewer = client(panel.users["reviewer"])
    html = html_of(reviewer.get(reverse("my-reviews")))
    assert reverse("review-detail", args=[panel.review.pk]) in html.split('id="open"')[1].split('id="done"')[0]
    assert "No review scored yet." in html
    assert "not in the expert pool" in html_of(client(panel.users["applicant"]).get(reverse("my-reviews")))
    assert "Nothing to score." in html_of(client(panel.users["expert"]).get(reverse("my-reviews")))


# --- closing the panel --------------------------------------------------------------------------------------


def test_closing_the_panel_ranks_with_means_and_disagreement(panel: Panel) -> None:
    call, own, rival = panel.call, panel.own, panel.rival
    reviews = Review.objects.filter(application__call=call).select_related("expert__person__user").order_by("pk")
    for review in reviews:  # own: 90 and 60 (apart by 30: flagged), rival: 70 and 72
        value = {own.pk: "90" if review.pk == panel.review.pk else "60", rival.pk: "70"}[review.application_id]
        if review.application_id == rival.pk and review.pk == reviews.filter(application=rival).last().pk:
            value = "72"
        review_services.submit_scores(review.expert.person.user, review, {c.pk: value for c in call.criteria.all()})
    street = client(panel.users["street"])
    html = html_of(street.get(reverse("call-review", args=[call.pk])))
    assert "4 of 4" in html and 'style="width: 100%"' in html
    response = street.post(reverse("call-review-close", args=[call.pk]), {"method": "mean"}, follow=True)
    html = html_of(response)
    assert successes_in(html) == ["The panel is closed: 2 applications were ranked. The call moves on to the awards."]
    own.refresh_from_db()
    rival.refresh_from_db()
    assert (own.rank, own.score, own.disagreement) == (1, Decimal("75.00"), True)
    assert (rival.rank, rival.score, rival.disagreement) == (2, Decimal("71.00"), False)
    ranking = html.split('id="ranking"')[1]
    assert ranking.index(own.reference) < ranking.index(rival.reference)
    assert ranking.count("data-disagreement") == 1 and "60.00–90.00" in ranking
    means = ranking.split('id="means"')[1]
    # the first criterion weighs 40: a mean of 75 on the 0-100 scale is 30 of its 40 points
    assert '<td class="num">30.00</td>' in means and '<td class="num">28.40</td>' in means
    assert reverse("call-awards", args=[call.pk]) in ranking
    assert "Close the panel" not in html and "Change the reviewers" not in html


def test_the_pages_stay_within_a_bounded_number_of_queries(panel: Panel, django_assert_max_num_queries: Any) -> None:
    street = client(panel.users["street"])
    reviewer = client(panel.users["reviewer"])
    with django_assert_max_num_queries(30):
        assert street.get(reverse("call-review", args=[panel.call.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert reviewer.get(reverse("my-reviews")).status_code == 200
    with django_assert_max_num_queries(25):
        assert reviewer.get(reverse("review-detail", args=[panel.review.pk])).status_code == 200


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_state_of_the_pages_has_its_fields_labelled(world: w.World, language: str) -> None:
    from tests.web.test_accessibility import problems

    call, own, rival = open_call(world)
    street = client(world.street_officer)
    board = reverse("call-review", args=[call.pk])

    def check(browser: Client, url: str) -> None:
        response = browser.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200 and problems(html_of(response)) == [], url

    check(street, board)  # open: the start button
    review_services.start_review(world.street_officer, call, today=w.REVIEW_DAY)
    check(street, board)  # under review: every form
    review = Review.objects.filter(application=own).select_related("expert__person__user").first()
    assert review is not None
    reviewer = client(review.expert.person.user)
    check(reviewer, reverse("review-detail", args=[review.pk]))  # the score sheet
    check(reviewer, reverse("my-reviews"))
    review_services.remove_reviewer(world.street_officer, review, "出差")
    check(street, board)  # with a vacancy
    review_services.fill_vacancies(world.street_officer, call)
    w.score_everything(world, call, {own.pk: "90", rival.pk: "70"})
    call.refresh_from_db()
    review_services.close_panel(world.street_officer, call)
    check(street, board)  # the ranking
