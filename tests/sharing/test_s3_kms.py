"""Documents stored in S3 with data keys from AWS KMS, over real HTTP against a local moto server.

Also the faults: the key service or the storage unreachable during an upload. The user is
told, nothing half-stored remains, and trying again succeeds.
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from sharing import tasks
from sharing.keys import KMS, WrappedKey
from sharing.models import Document, DocumentVersion, Space, VersionStatus
from tests.sharing.conftest import World, spooled_files, upload
from tests.sharing.kms_server import REGION, free_port, moto_endpoint
from tests.sharing.samples import sample

__all__ = ["moto_endpoint"]  # a fixture, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage"), pytest.mark.s3]

MakeClient = Callable[..., Client]
# Fail fast when the endpoint is down, rather than after boto3's default back-off.
FAST_FAIL = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=10)


def s3_storage(endpoint: str, bucket: str) -> dict[str, Any]:
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": REGION,
                "default_acl": None,
                "querystring_auth": False,
                "file_overwrite": False,
                "client_config": FAST_FAIL,
            },
        },
    }


class Aws:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        self.kms = boto3.client("kms", endpoint_url=endpoint, region_name=REGION)
        self.bucket = f"documents-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.key_arn = self.kms.create_key(Description="sharing test KEK")["KeyMetadata"]["Arn"]

    def objects(self) -> list[dict[str, Any]]:
        return list(self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []))

    def unfinished_multipart_uploads(self) -> list[Any]:
        return list(self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []))

    def settings(self, *, s3_endpoint: str | None = None, kms_endpoint: str | None = None) -> override_settings:
        return override_settings(
            STORAGES=s3_storage(s3_endpoint or self.endpoint, self.bucket),
            SHARING_KEY_PROVIDER="kms",
            SHARING_KMS_KEY_ID=self.key_arn,
            SHARING_KMS_REGION=REGION,
            SHARING_KMS_ENDPOINT_URL=kms_endpoint or self.endpoint,
        )


@pytest.fixture
def aws(moto_endpoint: str) -> Aws:
    return Aws(moto_endpoint)


@pytest.fixture
def space(world: World) -> Space:
    return world.space()


def dead_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_documents_go_to_s3_encrypted_under_kms_data_keys(
    aws: Aws, world: World, space: Space, verified_client: MakeClient
) -> None:
    client = verified_client(world.personas.contributor_a)
    content = sample("docx")
    with aws.settings():
        assert upload(client, space, content, name="imr.docx", title="IMR").status_code == 302
        version = DocumentVersion.objects.get(document__title="IMR")
        response: Any = client.get(reverse("sharing:version_download", args=[version.document_id, version.pk]))
        body = b"".join(response.streaming_content)

    assert version.status == VersionStatus.AVAILABLE
    assert WrappedKey.from_text(version.wrapped_key).provider == KMS
    assert WrappedKey.from_text(version.wrapped_key).key_id == aws.key_arn
    (stored,) = aws.objects()
    assert stored["Key"] == version.object_name
    assert content not in aws.s3.get_object(Bucket=aws.bucket, Key=stored["Key"])["Body"].read()
    assert body == content
    assert spooled_files() == []


def test_key_service_down_refuses_the_upload_with_a_message_and_a_retry_succeeds(
    aws: Aws, world: World, space: Space, verified_client: MakeClient
) -> None:
    client = verified_client(world.personas.contributor_a)

    with aws.settings(kms_endpoint=dead_endpoint()):
        refused = upload(client, space, sample("pdf"))

    assert refused.status_code == 400
    assert "the key service did not respond" in refused.content.decode()
    assert not Document.objects.exists()
    assert (aws.objects(), spooled_files()) == ([], [])

    with aws.settings():
        assert upload(client, space, sample("pdf")).status_code == 302
    assert DocumentVersion.objects.get().status == VersionStatus.AVAILABLE


def test_storage_down_keeps_the_upload_tells_the_user_and_a_retry_stores_it(
    aws: Aws, world: World, space: Space, verified_client: MakeClient
) -> None:
    client = verified_client(world.personas.contributor_a)
    content = sample("xlsx")

    with aws.settings(s3_endpoint=dead_endpoint()):
        # The store task's first attempt fails after the commit; it notes why and schedules a retry.
        response = upload(client, space, content, name="contacts.xlsx", title="Contacts")
        page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    version = DocumentVersion.objects.get(document__title="Contacts")

    version.refresh_from_db()
    assert version.status == VersionStatus.PENDING
    assert "could not reach its storage" in page
    assert [path.name for path in spooled_files()] == [str(version.pk)]
    assert (aws.objects(), aws.unfinished_multipart_uploads()) == ([], [])

    with aws.settings():
        tasks.store_version.delay(str(version.pk))
        downloaded: Any = client.get(reverse("sharing:version_download", args=[version.document_id, version.pk]))
        body = b"".join(downloaded.streaming_content)

    version.refresh_from_db()
    assert version.status == VersionStatus.AVAILABLE
    assert hashlib.sha256(body).hexdigest() == version.sha256
    assert len(aws.objects()) == 1
    assert spooled_files() == []
