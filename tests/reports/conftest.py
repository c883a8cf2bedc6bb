"""A review in analysis and drafting, with its panel, terms, contributors and secure space; plus
``make_version``, which puts a report version in place directly (the drafts tests use the real
upload), so the tests of sign-off, quality assurance and publication start from a report.

``ReportWorld`` extends the chronology world: ``coordinator``, ``csp_chair``,
``independent_chair``, ``panel_member``, ``contributor_a`` (agency A) and ``contributor_b``.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.reports.models import Report, ReportKind, ReportVersion
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import steps
from sharing.models import Classification, Document, DocumentVersion, SpaceMember, VersionStatus
from tests.chronologies.conftest import ChronologyWorld, chronology_world
from tests.reviews.conftest import review_world

__all__ = ["chronology_world", "review_world"]  # fixtures, used by name


@dataclass
class ReportWorld:
    chronologies: ChronologyWorld

    @property
    def review(self) -> Review:
        return self.chronologies.review

    @property
    def coordinator(self) -> User:
        return self.chronologies.coordinator

    @property
    def csp_chair(self) -> User:
        return self.chronologies.csp_chair

    @property
    def independent_chair(self) -> User:
        return self.chronologies.independent_chair

    @property
    def panel_member(self) -> User:
        return self.chronologies.panel_member

    @property
    def contributor_a(self) -> User:
        return self.chronologies.contributor_a

    @property
    def contributor_b(self) -> User:
        return self.chronologies.contributor_b

    @property
    def client(self) -> Callable[..., Client]:
        return self.chronologies.client

    def refresh(self) -> Review:
        return self.chronologies.refresh()

    def step(self, name: str, actor: User | None = None, rationale: str = "") -> Review:
        """Take a lifecycle step, as the independent chair unless ``actor``."""
        steps.take_step(
            self.refresh(),
            name,
            actor=actor or self.independent_chair,
            rationale=rationale,
            version=None,
            request=None,
        )
        return self.refresh()


def make_version(
    world: ReportWorld, kind: str = ReportKind.OVERVIEW, content: bytes = b"%PDF-1.4 draft"
) -> ReportVersion:
    """The next version of the review's report of ``kind``, as if the independent chair had uploaded it."""
    review = world.refresh()
    space = review.space
    assert space is not None
    member = SpaceMember.objects.current().get(space=space, user=world.independent_chair)
    report, _ = Report.objects.get_or_create(review=review, kind=kind, defaults={"created_by": world.independent_chair})
    number = report.versions.count() + 1
    document = Document.objects.create(
        space=space,
        title=f"{report.get_kind_display()}, version {number}",
        owner_party_id=member.party_id,
        classification=Classification.OFFICIAL_SENSITIVE,
        retention_ends_on=timezone.localdate() + timedelta(days=3650),
        created_by=world.independent_chair,
    )
    document_version = DocumentVersion.objects.create(
        document=document,
        number=1,
        file_name=f"{kind}-v{number}.pdf",
        file_type="pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        status=VersionStatus.AVAILABLE,
        uploaded_by=world.independent_chair,
    )
    return ReportVersion.objects.create(
        report=report, number=number, document_version=document_version, added_by=world.independent_chair
    )


@pytest.fixture
def report_world(chronology_world: ChronologyWorld) -> ReportWorld:
    world = ReportWorld(chronology_world)
    world.step("start_gathering")
    world.step("start_drafting")
    return world
