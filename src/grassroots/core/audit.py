"""Writing and verifying the audit chain. Every state change and money movement calls `record`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """JSON-native copy (Decimals and dates as text) so the stored value hashes the same after a round trip."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
    }


def object_label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def record(
    actor: Any,
    action: str,
    obj: models.Model | tuple[str, str],
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = object_label(obj), str(obj.pk)
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=(actor.get_username() if actor is not None and hasattr(actor, "get_username") else "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=_plain(before),
            after=_plain(after),
            reason=reason,
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(_hashed_fields(event))
        event.save()
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify() -> Verification:
    """Walk the chain and report the first event that was edited, deleted or cut off."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return Verification(
                False, checked, f"event #{expected_seq} is missing (next present is #{event.seq})", expected_seq
            )
        if event.prev_hash != expected_prev:
            return Verification(False, checked, f"event #{event.seq} does not follow its predecessor's hash", event.seq)
        if event_hash(_hashed_fields(event)) != event.hash:
            return Verification(False, checked, f"event #{event.seq} was edited after it was written", event.seq)
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if last_seq != checked or last_hash != expected_prev:
        if last_seq > checked:
            return Verification(
                False, checked, f"events #{checked + 1} to #{last_seq} are missing from the end", checked + 1
            )
        return Verification(False, checked, "the chain's head does not match its last event", checked)
    return Verification(True, checked)


def history(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_label(obj), object_id=str(obj.pk))
