"""Backups and restores reach documents in S3, with keys in AWS KMS, through the same calls as local storage."""

import pytest

from dhr_tracker.backup import services
from tests.backup.conftest import upload_stored
from tests.sharing.conftest import World
from tests.sharing.kms_server import moto_endpoint
from tests.sharing.samples import sample
from tests.sharing.test_s3_kms import Aws, aws

__all__ = ["aws", "moto_endpoint"]  # fixtures, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def test_an_s3_store_is_seen_as_in_use_and_its_documents_are_checked_through_kms(aws: Aws, world: World) -> None:
    space = world.space()
    with aws.settings():
        version = upload_stored(space, world.personas.contributor_a, sample("docx"), "imr.docx", "IMR").version
        report = services.RestoreReport(
            {
                "documents": [{"version_id": str(version.id), "object": version.object_name}],
                "audit": {"last_seq": 0, "last_hash": ""},
            }
        )
        services.check(report)
        reasons = services.refusals()

    assert report.problems == []
    assert (report.versions_checked, report.versions_intact) == (1, 1)
    assert "The document storage already holds 1 objects" in "\n".join(reasons)
    # KMS keeps its keys: there is no keyring file to refuse over.
    assert not any("keyring" in reason for reason in reasons)
