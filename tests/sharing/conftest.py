"""A partnership's two agencies sharing under a protocol, and helpers to reach each state."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import Agency
from sharing.models import Classification, LegalBasis, Protocol, Space
from sharing.services import protocols as services
from tests.conftest import Personas


@dataclass
class World:
    personas: Personas
    agency_a: Agency
    agency_b: Agency
    protocol: Protocol

    def sign_all(self) -> Protocol:
        for party in self.protocol.parties.select_related("protocol"):
            services.sign_protocol(party, actor=party.signatory, request=None)
        self.protocol.refresh_from_db()
        return self.protocol

    def space(self) -> Space:
        """An active protocol's space with contributor A (agency A) and B (agency B) as members."""
        if self.protocol.status == "draft":
            self.sign_all()
        p = self.personas
        space = services.create_space(self.protocol, actor=p.coordinator, name="Review 2026-01", request=None)
        services.add_member(
            space, actor=p.coordinator, user_id=p.contributor_a.pk, party_id=self.agency_a.pk, request=None
        )
        services.add_member(
            space, actor=p.coordinator, user_id=p.contributor_b.pk, party_id=self.agency_b.pk, request=None
        )
        return space


def protocol_fields(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "title": "Exampleshire DHR information sharing",
        "purposes": "Domestic homicide reviews",
        "legal_bases": [LegalBasis.DVCVA_2004_S9, LegalBasis.UK_GDPR_6_1_E],
        "legal_basis_other": "",
        "max_classification": Classification.OFFICIAL_SENSITIVE,
        "data_categories": "Health, police and social care records",
        "retention_months": 24,
        "valid_from": today - timedelta(days=1),
        "valid_to": today + timedelta(days=365),
        "review_date": today + timedelta(days=180),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def world(personas: Personas) -> World:
    agency_a = Agency.objects.get(name="Agency A Police")
    agency_b = Agency.objects.get(name="Agency B Health")
    agency_a.partnerships.add(personas.partnership)
    agency_b.partnerships.add(personas.partnership)
    protocol = services.draft_protocol(
        actor=personas.coordinator,
        scope_id=personas.partnership.pk,
        fields=protocol_fields(),
        parties=[
            services.PartyLine(agency_a.pk, personas.contributor_a.pk, "Data Protection Officer"),
            services.PartyLine(agency_b.pk, personas.contributor_b.pk, "Caldicott Guardian"),
        ],
        request=None,
    )
    return World(personas, agency_a, agency_b, protocol)


def multipart(fields: dict[str, str], *, name: str, content: bytes) -> tuple[bytes, str]:
    """A form body with the file name exactly as given (Django's test client would strip directories)."""
    boundary = "----sharing-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    quoted = name.replace('"', "%22")
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_file(client: Client, url: str, content: bytes, *, name: str, **fields: str) -> Any:
    """Post a file as the browser's form does, running what the commit would start."""
    body, content_type = multipart(fields, name=name, content=content)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, body, content_type=content_type)


def upload(
    client: Client,
    space: Space,
    content: bytes,
    *,
    name: str = "chronology.pdf",
    title: str = "Police chronology",
    classification: str = Classification.OFFICIAL,
    **extra: str,
) -> Any:
    url = reverse("sharing:document_upload", args=[space.pk])
    return post_file(
        client, url, content, name=name, title=title, description="", classification=classification, **extra
    )


def stored_objects() -> list[Path]:
    """Every object in the local document storage."""
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])  # type: ignore[index]
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def spooled_files() -> list[Path]:
    root = Path(settings.SHARING_SPOOL_DIR)
    return sorted(root.iterdir()) if root.exists() else []


@pytest.fixture
def clean_storage() -> Iterator[None]:
    """Each test starts with nothing in the spool or the local storage, and leaves nothing."""
    for path in (*stored_objects(), *spooled_files()):
        path.unlink()
    yield
    for path in (*stored_objects(), *spooled_files()):
        path.unlink()
