"""The auditors' pages: who may see them, what each auditor sees, and what reading leaves behind."""

from typing import Any

import pytest

from audit import verify as offline
from audit.checkpoints import publish_checkpoint
from audit.models import AuditEvent, Outcome
from audit.trail import record
from audit.verification import verify
from tests.audit.conftest import chained

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(personas: Any) -> dict[str, AuditEvent]:
    """Events in two partnerships, and a sign-in by someone in neither."""
    outsider_agency_user = personas.unverified
    return {
        "mine": chained(
            "document.downloaded",
            outcome=Outcome.ALLOWED,
            actor=personas.contributor_a,
            target_ref=("sharing.document", "42"),
            target_label="Police chronology v2",
            partnership_id=personas.partnership.pk,
        ),
        "theirs": chained(
            "document.downloaded",
            outcome=Outcome.ALLOWED,
            actor=personas.outsider,
            target_ref=("sharing.document", "77"),
            target_label="Otherborough chronology",
            partnership_id=personas.other_partnership.pk,
        ),
        "colleague_sign_in": chained("auth.login", outcome=Outcome.ALLOWED, actor=personas.csp_chair),
        "stranger_sign_in": chained("auth.login", outcome=Outcome.ALLOWED, actor=outsider_agency_user),
    }


@pytest.mark.parametrize("persona", ["site_admin", "csp_chair", "coordinator", "contributor_a", "outsider"])
@pytest.mark.parametrize("path", ["/audit/", "/audit/events/", "/audit/events/1/", "/audit/download/events.csv"])
def test_only_auditors_reach_the_audit_pages(
    personas: Any, verified_client: Any, trail: Any, persona: str, path: str
) -> None:
    response = verified_client(getattr(personas, persona), sudo=True).get(path)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor_id=getattr(personas, persona).pk).exists()


def test_auditor_home_shows_integrity_status_and_public_key(personas: Any, verified_client: Any, trail: Any) -> None:
    client = verified_client(personas.auditor)
    assert "Never run" in client.get("/audit/").text
    checkpoint = publish_checkpoint()
    assert checkpoint is not None
    verify()
    page = client.get("/audit/").text
    assert "Passed" in page
    assert f"{checkpoint.tree_size} events, signed" in page
    assert "Public key (Ed25519, hex)" in page


def test_auditor_sees_only_their_partnership_and_its_people(personas: Any, verified_client: Any, trail: Any) -> None:
    page = verified_client(personas.auditor).get("/audit/events/").text
    assert "Police chronology v2" in page
    assert "Otherborough chronology" not in page
    assert personas.csp_chair.email in page
    assert personas.unverified.email not in page
    assert verified_client(personas.auditor).get(f"/audit/events/{trail['theirs'].seq}/").status_code == 404


def test_who_downloaded_this_document(personas: Any, verified_client: Any, trail: Any) -> None:
    client = verified_client(personas.auditor)
    response = client.get("/audit/targets/sharing.document/42/")
    assert response.status_code == 302
    page = client.get(response["Location"]).text
    assert personas.contributor_a.email in page
    assert "Agency A Police" in page
    assert "document.downloaded" in page


def test_what_did_this_person_do(personas: Any, verified_client: Any, trail: Any) -> None:
    client = verified_client(personas.auditor)
    page = client.get(client.get(f"/audit/people/{personas.csp_chair.pk}/")["Location"]).text
    assert "auth.login" in page
    assert "Police chronology v2" not in page


def test_searching_is_itself_recorded(personas: Any, verified_client: Any, trail: Any) -> None:
    verified_client(personas.auditor).get("/audit/events/?action=document.downloaded")
    searched = AuditEvent.objects.get(action="audit.searched")
    assert searched.actor_id == personas.auditor.pk
    assert searched.details["filters"] == {"action": "document.downloaded"}


def test_bad_filters_are_explained(personas: Any, verified_client: Any, trail: Any) -> None:
    response = verified_client(personas.auditor).get("/audit/events/?since=2026-02-01&until=2026-01-01")
    assert response.status_code == 400
    assert "The end of the time range must be after its start" in response.text


def test_pages_are_keyed_by_sequence_with_bounded_queries(
    personas: Any, verified_client: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(120):
        record(
            "test.read",
            outcome=Outcome.ALLOWED,
            actor=personas.csp_chair,
            partnership_id=personas.partnership.pk,
            details={"n": n},
        )
    client = verified_client(personas.auditor)
    # A fixed number for the page whatever the number of rows: session, user, scope, the rows,
    # and recording the search itself (the pending event, then chaining it).
    with django_assert_max_num_queries(25):
        first = client.get("/audit/events/?action=test.read")
    seqs = [e.seq for e in first.context["events"]]
    assert len(seqs) == 50
    assert seqs == sorted(seqs, reverse=True)
    second = client.get(first.context["older"])
    assert second.context["events"][0].seq == seqs[-1] - 1


def test_downloads_need_sudo(personas: Any, verified_client: Any, trail: Any) -> None:
    response = verified_client(personas.auditor).get("/audit/download/events.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/confirm-it-is-you/")


def test_csv_download_is_scoped_and_recorded(personas: Any, verified_client: Any, trail: Any) -> None:
    response = verified_client(personas.auditor, sudo=True).get("/audit/download/events.csv")
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"] == 'attachment; filename="audit-events.csv"'
    assert "Police chronology v2" in body
    assert "Otherborough" not in body
    assert AuditEvent.objects.get(action="audit.exported").details["format"] == "csv"


def test_jsonl_download_is_a_verifiable_scoped_export(
    personas: Any, verified_client: Any, trail: Any, tmp_path: Any
) -> None:
    response = verified_client(personas.auditor, sudo=True).get("/audit/download/export.jsonl")
    assert response.status_code == 200
    assert b"Otherborough" not in response.content
    path = tmp_path / "export.jsonl"
    path.write_bytes(response.content)
    assert offline.main([str(path)]) == 0
