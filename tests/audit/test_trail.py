"""Recording: every event chained to the one before, append-only in the database."""

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from audit import chain
from audit.checkpoints import publish_checkpoint
from audit.models import AuditEvent, Outcome, PendingEvent
from audit.trail import AuditError, record
from dhr_tracker.accounts import services
from dhr_tracker.accounts.models import PartnershipRole, PartnershipRoleKind
from tests.audit.conftest import chained

pytestmark = pytest.mark.django_db


def test_events_are_numbered_and_chained(make_events: Any) -> None:
    events = make_events(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert bytes(events[0].prev_hash) == chain.GENESIS
    assert bytes(events[1].prev_hash) == bytes(events[0].hash)
    stored = AuditEvent.objects.get(seq=2)
    content = chain.canonical(stored.chain_fields())
    assert chain.entry_hash(bytes(stored.prev_hash), 2, content) == bytes(stored.hash)


def test_actor_is_kept_as_a_snapshot(personas: Any) -> None:
    event = chained("test.event", outcome=Outcome.ALLOWED, actor=personas.contributor_a, target=personas.csp_chair)
    assert event.actor_id == personas.contributor_a.pk
    assert event.actor_email == "contributor-a@agency-a.example"
    assert event.actor_organisation == "Agency A Police"
    assert (event.target_type, event.target_id, event.target_label) == (
        "accounts.user",
        str(personas.csp_chair.pk),
        "chair@csp.example",
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'hidden' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
        "UPDATE audit_checkpoint SET tree_size = 99",
        "DELETE FROM audit_checkpoint",
        "DELETE FROM auditlog_logentry",
        "UPDATE auditlog_logentry SET object_repr = 'x'",
    ],
)
def test_the_database_refuses_changes_to_audit_rows(personas: Any, make_events: Any, sql: str) -> None:
    personas.partnership.local_authority = "Renamed Council"
    personas.partnership.save()
    make_events(2)
    publish_checkpoint()
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == count


def test_orm_updates_and_deletes_are_refused_too(make_events: Any) -> None:
    make_events(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().update(outcome=Outcome.DENIED)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists only on PostgreSQL")
def test_truncate_is_refused_on_postgresql(make_events: Any) -> None:
    make_events(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")


def test_event_recorded_in_a_transaction_is_chained_when_it_commits(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert record("test.committed", outcome=Outcome.ALLOWED) is None
        assert PendingEvent.objects.filter(action="test.committed").exists()
        assert not AuditEvent.objects.filter(action="test.committed").exists()
    assert AuditEvent.objects.get(action="test.committed").seq == 1


def test_event_of_a_rolled_back_change_never_exists(db: None) -> None:
    class Refused(Exception):
        pass

    def change_then_refuse() -> None:
        with transaction.atomic():
            record("test.rolled_back", outcome=Outcome.ALLOWED)
            raise Refused

    with pytest.raises(Refused):
        change_then_refuse()
    assert not PendingEvent.objects.exists()
    assert not AuditEvent.objects.exists()


def test_denied_events_cannot_be_recorded_inside_the_refused_transaction(db: None) -> None:
    """Such an event would vanish with the rollback: the trail refuses rather than lose it."""
    with pytest.raises(AuditError, match="outside the transaction"), transaction.atomic():
        record("test.denied", outcome=Outcome.DENIED)
    assert chained("test.denied", outcome=Outcome.DENIED).seq == 1


@pytest.mark.parametrize("details", [{"ratio": 0.5}, {"when": object()}, {1: "x"}, {"nul": "a\x00b"}])
def test_details_that_would_not_survive_storage_are_refused(db: None, details: dict[Any, Any]) -> None:
    with pytest.raises(chain.ChainError):
        record("test.event", outcome=Outcome.ALLOWED, details=details)
    assert not AuditEvent.objects.exists()


def test_if_recording_fails_the_change_fails_too(personas: Any, monkeypatch: pytest.MonkeyPatch, rf: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(PendingEvent.objects, "create", broken)
    personas.site_admin.is_verified = lambda: True  # as OTPMiddleware marks a signed-in admin
    with pytest.raises(DatabaseError):
        services.grant_partnership_role(
            personas.contributor_a,
            actor=personas.site_admin,
            partnership=personas.partnership,
            role=PartnershipRoleKind.AUDITOR,
            request=rf.get("/"),
        )
    assert not PartnershipRole.objects.filter(user=personas.contributor_a).exists()


def test_field_history_is_bound_into_the_chain(personas: Any) -> None:
    personas.partnership.local_authority = "Renamed Council"
    personas.partnership.save()
    event = AuditEvent.objects.filter(action="model.changed", target_type="accounts.partnership").latest("seq")
    assert event.details["fields"] == ["local_authority"]
    assert len(event.details["digest"]) == 64
