"""Issuing and revoking API tokens (every write of the api app)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.permissions import is_staff, require

from .models import ApiToken

#: What every token starts with, so a leaked one is recognised (secret scanners, logs).
TOKEN_PREFIX = "grt_"
#: Active tokens one user may hold at once.
MAX_ACTIVE = 20
#: `last_used_at` is written at most this often per token, so reading the API does not write on every call.
TOUCH_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def issue_token(actor: Any, owner: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for `owner` (by themselves, or by staff); returns the row and the token, shown only now."""
    require(
        getattr(actor, "pk", None) is not None and (actor.pk == owner.pk or is_staff(actor)),
        _("Only the owner or the platform staff may issue a token."),
    )
    if not getattr(owner, "is_active", False):
        raise RuleViolation(_("An inactive login cannot hold API tokens."))
    name = name.strip()
    if not name:
        raise RuleViolation(_("Give the token a name that says where it is used."))
    if len(name) > 100:
        raise RuleViolation(_("A token's name has at most %(n)d characters.") % {"n": 100})
    if ApiToken.objects.filter(owner=owner, revoked_at__isnull=True).count() >= MAX_ACTIVE:
        raise RuleViolation(_("A login holds at most %(n)d active tokens: revoke one first.") % {"n": MAX_ACTIVE})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(owner=owner, name=name, prefix=token[:10], digest=digest(token))
    record(actor, "api_token.issued", row, after={"owner": owner.pk, "name": name, "prefix": row.prefix})
    return row, token


@transaction.atomic
def revoke_token(actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once; the owner or staff may. Revoking twice is refused."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    require(
        getattr(actor, "pk", None) is not None and (actor.pk == token.owner_id or is_staff(actor)),
        _("Only the owner or the platform staff may revoke a token."),
    )
    if token.revoked_at is not None:
        raise RuleViolation(_("This token is already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(actor, "api_token.revoked", token, after={"owner": token.owner_id, "prefix": token.prefix})
    return token


def mark_used(token: ApiToken) -> None:
    """Note when a token was last used (not audited: a use changes no state of the mechanism)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
