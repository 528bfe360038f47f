"""API tokens: only a digest is stored, the page shows a new token once, revocation is immediate, and the
management command issues one."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.test import Client

from grassroots.api import services
from grassroots.api.models import ApiToken
from grassroots.core.errors import Forbidden, RuleViolation
from tests import world as w

pytestmark = pytest.mark.django_db


def test_only_the_digest_is_stored_and_the_token_works_until_revoked(world: w.World) -> None:
    manager = world.managers[0]
    row, token = services.issue_token(manager, manager, "reporting")
    assert token.startswith("grt_") and len(token) > 40
    stored = ApiToken.objects.get(pk=row.pk)
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.digest, stored.prefix, stored.name} and stored.prefix == token[:10]

    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/me").json()["username"] == manager.username
    assert ApiToken.objects.get(pk=row.pk).last_used_at is not None

    services.revoke_token(manager, row)
    assert client.get("/api/me").status_code == 401
    with pytest.raises(RuleViolation):
        services.revoke_token(manager, ApiToken.objects.get(pk=row.pk))


def test_nobody_issues_or_revokes_anothers_token(world: w.World) -> None:
    with w.refused(Forbidden):
        services.issue_token(world.managers[1], world.managers[0], "not mine")
    row, _token = services.issue_token(world.managers[0], world.managers[0], "mine")
    with w.refused(Forbidden):
        services.revoke_token(world.managers[1], row)
    with w.refused(RuleViolation):
        services.issue_token(world.managers[0], world.managers[0], "   ")


def test_a_deactivated_login_loses_its_tokens(world: w.World) -> None:
    manager = world.managers[0]
    _row, token = services.issue_token(manager, manager, "x")
    manager.is_active = False
    manager.save()
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/me").status_code == 401


def test_the_page_shows_a_new_token_once_and_revokes_it(world: w.World) -> None:
    client = Client()
    client.force_login(world.managers[0])
    page = client.post("/account/api-tokens/", {"action": "issue", "name": "报表工具"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    row = ApiToken.objects.get(owner=world.managers[0], name="报表工具")
    token = page.context["issued"]
    assert hashlib.sha256(token.encode()).hexdigest() == row.digest
    assert token in page.content.decode()
    again = client.get("/account/api-tokens/")
    assert token not in again.content.decode() and "报表工具" in again.content.decode()

    revoked = client.post("/account/api-tokens/", {"action": "revoke", "token": row.pk})
    assert revoked.status_code == 302
    assert ApiToken.objects.get(pk=row.pk).revoked_at is not None

    other = Client()
    other.force_login(world.managers[1])
    assert other.post("/account/api-tokens/", {"action": "revoke", "token": row.pk}).status_code == 404
    assert Client().get("/account/api-tokens/").status_code == 302  # to the login page


def test_the_command_issues_lists_and_revokes(world: w.World) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", "issue", world.managers[0].username, "--name", "导入脚本", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/me").status_code == 200
    listing = io.StringIO()
    call_command("api_token", "list", world.managers[0].username, stdout=listing)
    row = ApiToken.objects.get(name="导入脚本")
    assert f"{row.pk}\t{row.prefix}" in listing.getvalue() and token not in listing.getvalue()
    call_command("api_token", "revoke", str(row.pk), stdout=io.StringIO())
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/me").status_code == 401
