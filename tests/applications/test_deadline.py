"""A call takes applications from the day it opens to the day it closes: after its deadline nothing is written
or handed in, through the services, the pages or the API, and the refusal says why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.core.errors import RuleViolation
from grassroots.funding.models import Call
from tests import world as w
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(world: w.World) -> Call:
    """A call that closed on 28 February 2025, long before today."""
    return w.open_street_call(world, w.open_program(world))


def test_a_late_submission_is_refused_and_nothing_changes(world: w.World, call: Call) -> None:
    draft = w.draft_application(world, call)
    with w.refused(RuleViolation, match="closed on 2025-02-28: applications are no longer taken"):
        application_services.submit(world.managers[0], draft)
    with w.refused(RuleViolation, match="closed on 2025-02-28"):
        application_services.submit(world.managers[0], draft, on=w.CALL_CLOSES + timedelta(days=1))
    assert Application.objects.get(pk=draft.pk).state == Application.State.DRAFT


def test_no_draft_is_written_after_the_deadline(world: w.World, call: Call) -> None:
    with w.refused(RuleViolation, match="closed on 2025-02-28"):
        w.draft_application(world, call, on=timezone.localdate())
    draft = w.draft_application(world, call)
    with w.refused(RuleViolation, match="closed on 2025-02-28"):
        application_services.update_draft(
            world.managers[0],
            draft,
            title="改写",
            category=world.categories["elderly"],
            communities=[world.communities[0]],
            team=[(world.social_workers[0][0], "lead")],
            indicators=[{"name": "活动", "target": 4}],
            budget_lines=w.budget_lines(w.money("10000.00")),
        )


def test_the_closing_day_itself_still_counts(world: w.World, call: Call) -> None:
    draft = w.draft_application(world, call, on=w.CALL_OPENS)
    application = application_services.submit(world.managers[0], draft, on=w.CALL_CLOSES)
    assert application.state == Application.State.SUBMITTED
    assert timezone.localtime(application.submitted_at).date() == w.CALL_CLOSES


def test_nothing_is_taken_before_the_call_opens(world: w.World) -> None:
    today = timezone.localdate()
    call = w.open_street_call(
        world, w.open_program(world), opens_on=today + timedelta(days=10), closes_on=today + timedelta(days=40)
    )
    with w.refused(RuleViolation, match="opens on .*: applications are taken from that day"):
        w.draft_application(world, call, on=today)
    with w.refused(RuleViolation, match="opens on"):
        w.draft_application(world, call, on=w.CALL_CLOSES)


def test_a_submission_is_never_dated_in_the_future(world: w.World) -> None:
    today = timezone.localdate()
    call = w.open_street_call(world, w.open_program(world), opens_on=w.CALL_OPENS, closes_on=w.OPEN_UNTIL)
    draft = w.draft_application(world, call)
    with w.refused(RuleViolation, match="still to come"):
        application_services.submit(world.managers[0], draft, on=today + timedelta(days=1))
    # Today by default: the moment it is handed in.
    before = timezone.now()
    application = application_services.submit(world.managers[0], draft)
    assert application.submitted_at is not None and application.submitted_at >= before


def test_the_page_refuses_a_late_submission_with_the_reason(world: w.World, call: Call) -> None:
    draft = w.draft_application(world, call)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world.managers[0])
    before = w.fingerprint()
    response = client.post(reverse("application-submit", args=[draft.pk]))
    assert response.status_code == 400  # the page again, with the reason
    assert "closed on 2025-02-28: applications are no longer taken" in response.content.decode()
    assert w.fingerprint() == before
    assert Application.objects.get(pk=draft.pk).state == Application.State.DRAFT


def test_the_api_refuses_a_late_submission_with_the_reason(world: w.World, call: Call) -> None:
    draft = w.draft_application(world, call)
    client = client_for(world.managers[0])
    before = w.fingerprint()
    response = client.post(f"/api/applications/{draft.pk}/submit", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rule_violation"
    assert "closed on 2025-02-28: applications are no longer taken" in body["detail"]
    assert w.fingerprint() == before
    assert Application.objects.get(pk=draft.pk).state == Application.State.DRAFT
