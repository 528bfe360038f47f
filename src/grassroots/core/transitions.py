"""The one way a stateful object changes state.

A stateful model declares `state` with a `TextChoices` class and a `TRANSITIONS` table
{from_state: {to_state, ...}}; `transition()` refuses anything else with a clear message and writes
the audit event. A change recorded after the fact (history imported from another system) names the day
it happened with `on`: the event carries it, while the log's own time stays when it was written (the
chain is append-only and in order).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Protocol

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import record
from .errors import IllegalTransition, RuleViolation


class Stateful(Protocol):
    TRANSITIONS: ClassVar[dict[str, set[str]]]
    state: Any
    pk: Any


def state_label(model: type[models.Model], state: str) -> str:
    field = model._meta.get_field("state")
    return str(dict(field.flatchoices).get(state, state))  # type: ignore[union-attr]


def allowed(obj: Any, to_state: str) -> bool:
    return to_state in type(obj).TRANSITIONS.get(obj.state, set())


def transition(
    obj: Any,
    to_state: str,
    *,
    actor: Any,
    reason: str = "",
    fields: dict[str, Any] | None = None,
    on: date | None = None,
) -> None:
    """Move `obj` to `to_state`, also setting `fields`, and audit it (with `on`, the day it happened, when
    that was before it is recorded); refuse an illegal move."""
    model = type(obj)
    if not allowed(obj, to_state):
        raise IllegalTransition(
            _("%(object)s cannot go from “%(from)s” to “%(to)s”.")
            % {
                "object": f"{model._meta.verbose_name} “{obj}”",
                "from": state_label(model, obj.state),
                "to": state_label(model, to_state),
            },
            code="illegal_transition",
        )
    if on is not None and on > timezone.localdate():
        raise RuleViolation(
            _("A change of state cannot be recorded as having happened in the future (%(day)s).") % {"day": on},
            code="future_date",
        )
    before = {"state": obj.state}
    after: dict[str, Any] = {"state": to_state}
    with transaction.atomic():
        obj.state = to_state
        for name, value in (fields or {}).items():
            before[name] = getattr(obj, name)
            setattr(obj, name, value)
            after[name] = value
        obj.save(update_fields=list(after))
        audited = after if on is None else {**after, "on": on}
        record(actor, f"{model._meta.model_name}.{to_state}", obj, before=before, after=audited, reason=reason)
