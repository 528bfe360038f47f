"""The append-only, hash-chained audit log: every edit, deletion or truncation is found."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from grassroots import cli
from grassroots.core.audit import GENESIS, event_hash, history, verify
from grassroots.core.audit import _hashed_fields as hashed_fields
from grassroots.core.models import AuditEvent, AuditHead
from grassroots.funding import services as funding_services
from tests import world as w

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(world: w.World) -> int:
    """Open a program and a street call on top of the world's registrations; returns the number of events."""
    w.open_street_call(world, w.open_program(world))
    return AuditEvent.objects.count()


def middle(count: int) -> int:
    return count // 2


def test_the_chain_of_real_work_verifies(chain: int) -> None:
    result = verify()
    assert result.ok, result.problem
    assert result.checked == chain == AuditHead.objects.get().last_seq
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, chain + 1))
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))


def test_a_transition_is_recorded_with_its_actor_and_before_and_after(world: w.World) -> None:
    program = w.open_program(world)
    created, opened = history(program).order_by("seq")
    assert created.action == "program.created"
    assert created.after == {"title": program.title, "budget": "1000000.00", "year": w.FY}
    assert (opened.action, opened.before, opened.after) == ("program.open", {"state": "draft"}, {"state": "open"})
    assert (opened.actor_id, opened.actor_label) == (world.dept_officer.pk, "dept_officer")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "nothing happened"),
        ("after", {"amount": "999999.00"}),
        ("before", {"state": "forged"}),
        ("actor_label", "someone else"),
        ("actor_id", 424242),
        ("action", "program.deleted"),
        ("object_id", "999999"),
    ],
)
def test_an_edited_field_is_found_at_its_event(chain: int, field: str, value: object) -> None:
    seq = middle(chain)
    AuditEvent.objects.filter(seq=seq).update(**{field: value})
    result = verify()
    assert not result.ok
    assert result.seq == seq
    assert f"event #{seq} was edited" in result.problem
    assert result.checked == seq - 1


def test_an_edited_time_is_found(chain: int) -> None:
    event = AuditEvent.objects.get(seq=middle(chain))
    AuditEvent.objects.filter(pk=event.pk).update(at=event.at - timedelta(days=1))
    result = verify()
    assert (result.ok, result.seq) == (False, event.seq)


def test_a_forger_who_rewrites_the_hash_too_is_caught_by_the_next_event(chain: int) -> None:
    seq = middle(chain)
    event = AuditEvent.objects.get(seq=seq)
    event.reason = "forged"
    forged_hash = event_hash(hashed_fields(event))
    AuditEvent.objects.filter(seq=seq).update(reason="forged", hash=forged_hash)
    result = verify()
    assert not result.ok
    assert result.seq == seq + 1
    assert "does not follow" in result.problem


def test_a_forged_last_event_with_a_rewritten_hash_is_caught_by_the_head(chain: int) -> None:
    event = AuditEvent.objects.get(seq=chain)
    event.reason = "forged"
    AuditEvent.objects.filter(seq=chain).update(reason="forged", hash=event_hash(hashed_fields(event)))
    result = verify()
    assert not result.ok
    assert "head does not match" in result.problem


def test_a_deleted_middle_event_is_found(chain: int) -> None:
    seq = middle(chain)
    AuditEvent.objects.filter(seq=seq).delete()
    result = verify()
    assert not result.ok
    assert result.seq == seq
    assert f"event #{seq} is missing" in result.problem


@pytest.mark.parametrize("cut", [1, 3])
def test_deleted_last_events_are_found_by_the_head(chain: int, cut: int) -> None:
    AuditEvent.objects.filter(seq__gt=chain - cut).delete()
    result = verify()
    assert not result.ok
    assert result.seq == chain - cut + 1
    assert f"events #{chain - cut + 1} to #{chain} are missing from the end" in result.problem


def test_an_event_cannot_be_saved_again_or_deleted(chain: int) -> None:
    event = AuditEvent.objects.get(seq=middle(chain))
    event.reason = "forged"
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.count() == chain
    assert AuditEvent.objects.get(seq=event.seq).reason != "forged"
    assert verify().ok


def test_a_refused_request_leaves_no_event(chain: int, world: w.World) -> None:
    program = w.open_program(world, budget="100.00")
    count = AuditEvent.objects.count()
    with pytest.raises(Exception, match="exceeds"):
        funding_services.allocate_envelope(world.dept_officer, program=program, street=world.street, amount="100.01")
    assert AuditEvent.objects.count() == count
    assert verify().ok


def test_the_cli_exits_0_on_an_intact_chain(chain: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "verify"]) == 0
    assert f"audit chain intact: {chain} events verified" in capsys.readouterr().out


def test_the_cli_exits_1_on_an_edited_chain(chain: int, capsys: pytest.CaptureFixture[str]) -> None:
    seq = middle(chain)
    AuditEvent.objects.filter(seq=seq).update(reason="forged")
    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "audit chain broken" in out
    assert f"event #{seq} was edited" in out


def test_the_cli_exits_1_on_a_truncated_chain(chain: int, capsys: pytest.CaptureFixture[str]) -> None:
    AuditEvent.objects.filter(seq=chain).delete()
    assert cli.main(["audit", "verify"]) == 1
    assert "missing from the end" in capsys.readouterr().out
