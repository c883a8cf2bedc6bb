"""verify_audit catches each kind of tampering, and says where and what."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from audit import chain, reading, verification
from audit.chaining import chain_pending
from audit.checkpoints import CheckpointRefused, publish_checkpoint
from audit.models import AuditEvent, Outcome, PendingEvent, VerificationRun
from audit.reading import CANONICAL_SQL
from audit.trail import record
from tests.audit.conftest import chained, tamper

pytestmark = pytest.mark.django_db


def problem_after(sql: str, params: list[Any] | None = None) -> chain.Problem:
    tamper(sql, params)
    result = verification.verify()
    assert not result.ok
    assert result.problem is not None
    return result.problem


def test_an_untouched_trail_verifies(make_events: Any) -> None:
    make_events(10)
    publish_checkpoint()
    make_events(3)
    result = verification.verify()
    assert result.ok
    assert result.events_checked == 13
    assert result.verified_tree_size == 10
    run = VerificationRun.objects.get()
    assert run.ok
    assert run.events_checked == 13


def test_an_untouched_trail_with_field_history_verifies(personas: Any, make_events: Any) -> None:
    """The digest of each field-history entry must survive the database round trip."""
    personas.partnership.local_authority = "Renamed Council"
    personas.partnership.save()
    personas.partnership.agencies.add(*personas.partnership.agencies.model.objects.all())
    make_events(2)
    publish_checkpoint()
    result = verification.verify()
    assert result.problem is None
    assert AuditEvent.objects.filter(action__startswith="model.").count() >= 10


NASTY = 'quote" backslash\\ tab\t nl\n cr\r ctrl\x01\x1f del\x7f é 漢字 😀 \u2028\u2029 </script> {"a":1}'


def test_canonical_form_is_the_same_in_python_and_in_the_database(personas: Any) -> None:
    """PostgreSQL rebuilds the canonical form in SQL to verify fast; it must match Python's byte for byte."""
    event = chained(
        "test.nasty",
        outcome=Outcome.ALLOWED,
        actor=personas.contributor_a,
        target_ref=("test.thing", NASTY[:100]),
        target_label=NASTY,
        details={"text": NASTY, "nested": {"b": [1, None, True, -7], "a": NASTY}, "": 0},
    )
    assert verification.verify().ok
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.target_label == chain.plain_text(NASTY)
    assert "\ufffd nl\ufffd cr\ufffd ctrl\ufffd\ufffd del\x7f" in stored.target_label
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {CANONICAL_SQL} FROM audit_auditevent WHERE seq = %s", [event.seq])  # noqa: S608
            from_sql = cursor.fetchone()[0].encode("utf-8")
        assert from_sql == chain.canonical(AuditEvent.objects.get(seq=event.seq).chain_fields())


def test_altered_field_is_named(make_events: Any) -> None:
    make_events(6)
    problem = problem_after("UPDATE audit_auditevent SET actor_email = 'someone-else@x.example' WHERE seq = 3")
    assert (problem.seq, problem.kind) == (3, chain.FIELD_ALTERED)


def test_deleted_event_is_named(make_events: Any) -> None:
    make_events(6)
    problem = problem_after("DELETE FROM audit_auditevent WHERE seq = 3")
    assert (problem.seq, problem.kind) == (3, chain.EVENT_MISSING)


def test_deleted_and_renumbered_event_is_named(make_events: Any) -> None:
    make_events(6)
    tamper("DELETE FROM audit_auditevent WHERE seq = 3")
    for seq in (4, 5, 6):
        tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [seq - 1, seq])
    result = verification.verify()
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, chain.EVENT_MISSING)


def test_swapped_events_are_named(make_events: Any) -> None:
    make_events(6)
    tamper("UPDATE audit_auditevent SET seq = -1 WHERE seq = 3")
    tamper("UPDATE audit_auditevent SET seq = 3 WHERE seq = 4")
    problem = problem_after("UPDATE audit_auditevent SET seq = 4 WHERE seq = -1")
    assert (problem.seq, problem.kind) == (3, chain.EVENTS_REORDERED)


def test_tail_dropped_behind_a_checkpoint_is_named(make_events: Any) -> None:
    make_events(6)
    publish_checkpoint()
    problem = problem_after("DELETE FROM audit_auditevent WHERE seq > 4")
    assert (problem.seq, problem.kind) == (5, verification.TAIL_TRUNCATED)


def test_replaced_checkpoint_signature_is_named(make_events: Any) -> None:
    make_events(4)
    publish_checkpoint()
    problem = problem_after("UPDATE audit_checkpoint SET signature = %s", [bytes(64)])
    assert (problem.seq, problem.kind) == (4, verification.FORGED_SIGNATURE)


def test_rewriting_the_whole_chain_is_caught_by_the_signed_checkpoint(make_events: Any) -> None:
    """The attack a plain hash chain cannot see: alter an event and recompute every hash after it."""
    make_events(5)
    publish_checkpoint()
    tamper("UPDATE audit_auditevent SET action = 'nothing.to.see' WHERE seq = 2")
    running = bytes(AuditEvent.objects.get(seq=1).hash)
    for event in AuditEvent.objects.filter(seq__gte=2).order_by("seq"):
        new_hash = chain.entry_hash(running, event.seq, chain.canonical(event.chain_fields()))
        tamper("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s", [running, new_hash, event.seq])
        running = new_hash
    result = verification.verify()
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (5, verification.TREE_HEAD_MISMATCH)


def test_altered_field_history_is_named(personas: Any) -> None:
    personas.partnership.local_authority = "Renamed Council"
    personas.partnership.save()
    bound = AuditEvent.objects.filter(action="model.changed").latest("seq")
    problem = problem_after("UPDATE auditlog_logentry SET object_repr = 'Something else'")
    assert problem.kind == verification.HISTORY_ALTERED
    assert problem.seq <= bound.seq
    tamper("DELETE FROM auditlog_logentry")
    missing = verification.verify().problem
    assert missing is not None
    assert missing.kind == verification.HISTORY_MISSING


def test_checkpoint_refuses_to_sign_a_tampered_chain(make_events: Any) -> None:
    make_events(3)
    tamper("UPDATE audit_auditevent SET action = 'x' WHERE seq = 2")
    with pytest.raises(CheckpointRefused, match="event 2"):
        publish_checkpoint()


def test_checkpoint_is_idempotent(make_events: Any) -> None:
    make_events(2)
    assert publish_checkpoint() is not None
    assert publish_checkpoint() is None


def test_event_kept_out_of_the_chain_is_reported(make_events: Any) -> None:
    make_events(2)
    PendingEvent.objects.create(
        time=timezone.now() - timedelta(hours=1), action="secret.thing", outcome=Outcome.ALLOWED, details_json="{}"
    )
    result = verification.verify()
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, verification.NEVER_CHAINED)
    assert "secret.thing" in result.problem.message


def test_command_exits_non_zero_naming_the_first_bad_event(make_events: Any) -> None:
    make_events(5)
    tamper("UPDATE audit_auditevent SET outcome = 'denied' WHERE seq = 4")
    with pytest.raises(CommandError, match=r"event 4: field altered"):
        call_command("verify_audit")
    assert not VerificationRun.objects.latest("started_at").ok


def test_incremental_mode_checks_only_what_came_after_the_last_verified_checkpoint(
    make_events: Any, capsys: Any
) -> None:
    make_events(5)
    publish_checkpoint()
    call_command("verify_audit")
    make_events(3)
    call_command("verify_audit", "--incremental")
    assert "3 events" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET action = 'x' WHERE seq = 7")
    with pytest.raises(CommandError, match="event 7: field altered"):
        call_command("verify_audit", "--incremental")


def test_incremental_mode_notices_the_checkpoint_itself_no_longer_matches(make_events: Any) -> None:
    make_events(5)
    publish_checkpoint()
    call_command("verify_audit")
    tamper("UPDATE audit_auditevent SET hash = %s WHERE seq = 5", [bytes(32)])
    result = verification.verify(incremental=True)
    assert result.problem is not None
    assert result.problem.kind == verification.RESUME_FAILED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need a server database")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    def write(worker: int) -> None:
        try:
            for n in range(50):
                record("test.concurrent", outcome=Outcome.ALLOWED, details={"worker": worker, "n": n})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    chain_pending()
    assert AuditEvent.objects.count() == 200
    assert verification.verify().ok


# Tampering across blocks of four events (checkpoints after events 6 and 14): the problem named,
# and the checkpoint still verified before it.
ACROSS_BLOCKS = [
    ("UPDATE audit_auditevent SET action = 'x' WHERE seq = 7", 7, chain.FIELD_ALTERED, 6),
    ("DELETE FROM audit_auditevent WHERE seq = 2", 2, chain.EVENT_MISSING, 0),
    ("DELETE FROM audit_auditevent WHERE seq = 5", 5, chain.EVENT_MISSING, 0),
    ("DELETE FROM audit_auditevent WHERE seq = 12", 12, chain.EVENT_MISSING, 6),
    ("UPDATE audit_auditevent SET seq = -seq WHERE seq IN (9, 10)", 9, chain.EVENTS_REORDERED, 6),
]


def check_across_blocks(sql: str, seq: int, kind: str, verified: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "BLOCK", 4)
    monkeypatch.setattr(reading, "CHUNK", 4)
    for n in range(14):
        record("test.event", outcome=Outcome.ALLOWED, details={"n": n})
        if n in (5, 13):
            publish_checkpoint()
    assert verification.verify().ok
    tamper(sql)
    if "-seq" in sql:
        tamper("UPDATE audit_auditevent SET seq = 19 + seq WHERE seq < 0")
    threads = threading.active_count()
    result = verification.verify()
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (seq, kind)
    assert result.verified_tree_size == verified
    assert threading.active_count() == threads, "no reading thread is left behind"


@pytest.mark.parametrize(("sql", "seq", "kind", "verified"), ACROSS_BLOCKS)
def test_problems_across_blocks_are_named(
    sql: str, seq: int, kind: str, verified: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_across_blocks(sql, seq, kind, verified, monkeypatch)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the parallel reading runs only on PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("sql", "seq", "kind", "verified"), ACROSS_BLOCKS)
def test_parallel_reading_outside_a_transaction_finds_the_first_problem(
    sql: str, seq: int, kind: str, verified: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify_audit in production runs in autocommit, reading blocks on two connections at once."""
    check_across_blocks(sql, seq, kind, verified, monkeypatch)
