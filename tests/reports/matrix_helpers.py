"""The world of the reports access matrix: a review in analysis and drafting with one of everything,
its people and everyone who should see none of it; and two more reviews of the same partnership,
one published (live) and one taken down, for the public pages and unpublishing.

Records are made through the services where that is simple, and directly where a test elsewhere
already does so (a report version, a Home Office letter with its area, the publications).
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from dhr_tracker.accounts.models import PartnershipRoleKind, User
from dhr_tracker.reports.models import (
    AreaForDevelopment,
    Candidate,
    CandidateStatus,
    Hit,
    IdentifierKind,
    Publication,
    PublicationItemKind,
    PublishedItem,
    QAOutcome,
    QASubmission,
    ReportKind,
)
from dhr_tracker.reports.services import drafts, publication, register, signoff
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Consent, FamilyMember, Review
from tests.factories import PartnershipRoleFactory, UserFactory
from tests.reports.conftest import ReportWorld, make_version
from tests.reports.test_actions import add_action, add_recommendation
from tests.reports.test_candidates import PLANTED_TEXT, docx_bytes, upload
from tests.reports.test_learning import make_review

TODAY = timezone.localdate

LIVE_TITLE = "Review into the death of Adult C"
TAKEN_DOWN_TITLE = "Review into the death of Adult D"


@dataclass
class Matrix:
    """The people by role, and the value of every URL parameter of the reports pages."""

    world: ReportWorld
    users: dict[str, User]
    values: dict[str, Any]
    # The public addresses of publications nobody may see: never published, or taken down.
    hidden_publications: list[Publication]
    hidden_items: list[PublishedItem]


def _published(world: ReportWorld, reference: str, title: str, *, taken_down: bool) -> PublishedItem:
    """A review of the partnership, published with one item (and taken down if asked), put in place directly."""
    coordinator = world.coordinator
    review = make_review(world.review.partnership, reference, coordinator)
    Review.objects.filter(pk=review.pk).update(state=State.PUBLISHED)
    content = f"%PDF-1.4 {title}".encode()
    sha256 = hashlib.sha256(content).hexdigest()
    candidate = Candidate.objects.create(
        review=review,
        item=PublicationItemKind.OVERVIEW,
        number=1,
        file_name="overview.pdf",
        file_type="pdf",
        size=len(content),
        sha256=sha256,
        status=CandidateStatus.CLEAR,
        uploaded_by=coordinator,
    )
    published_on = TODAY() - timedelta(days=30)
    found = Publication.objects.create(
        review=review,
        published_on=published_on,
        published_by=world.csp_chair,
        title=title,
        remove_on=published_on + timedelta(days=365),
        unpublished_at=timezone.now() if taken_down else None,
        unpublished_by=coordinator if taken_down else None,
        unpublish_reason="At the family's request" if taken_down else "",
    )
    return PublishedItem.objects.create(
        publication=found,
        item=PublicationItemKind.OVERVIEW,
        candidate=candidate,
        file_name="overview.pdf",
        size=len(content),
        sha256=sha256,
        content=content,
    )


def _qa_letter(world: ReportWorld, version_id: int) -> AreaForDevelopment:
    """A submission whose letter came back with one area for final development, as test_qa puts sign-offs in place."""
    today = TODAY()
    submission = QASubmission.objects.create(
        review=world.review,
        number=1,
        submitted_on=today - timedelta(days=10),
        panel_met_on=today - timedelta(days=5),
        letter_on=today - timedelta(days=2),
        outcome=QAOutcome.PUBLISH_WITH_CHANGES,
        submitted_by=world.coordinator,
        outcome_recorded_by=world.coordinator,
        outcome_recorded_at=timezone.now(),
    )
    submission.versions.add(version_id)
    return AreaForDevelopment.objects.create(submission=submission, number=1, text="Use the Appendix 4 layout")


def _people(world: ReportWorld) -> dict[str, User]:
    personas = world.chronologies.reviews.personas
    outsider_coordinator = UserFactory.create(email="coordinator@otherborough.example")
    PartnershipRoleFactory.create(
        user=outsider_coordinator, partnership=personas.other_partnership, role=PartnershipRoleKind.CSP_COORDINATOR
    )
    return {
        "outsider_chair": personas.outsider,
        "outsider_coordinator": outsider_coordinator,
        "auditor": personas.auditor,
        "site_admin": personas.site_admin,
        "national": UserFactory.create(email="oversight@home-office.example", national_oversight=True),
        "contributor_b": world.contributor_b,
        "contributor_a": world.contributor_a,
        "panel_member": world.panel_member,
        "independent_chair": world.independent_chair,
        "coordinator": world.coordinator,
        "csp_chair": world.csp_chair,
    }


def build(world: ReportWorld) -> Matrix:
    """One of everything on the review, owned as the matrix expects."""
    review = world.refresh()
    chair, coordinator = world.independent_chair, world.coordinator
    today = TODAY()
    overview = make_version(world)
    make_version(world, ReportKind.SUMMARY)
    comment_round = drafts.circulate_version(
        overview, actor=chair, due_on=today + timedelta(days=14), message="", request=None
    )
    comment = drafts.add_comment(
        comment_round, actor=world.panel_member, section="analysis", text="Say more on MARAC.", request=None
    )
    sister = FamilyMember.objects.create(
        review=review, pseudonym="Sister of Adult A", relationship="Sister", consent=Consent.GIVEN, added_by=coordinator
    )
    family_copy = drafts.record_family_copy(overview, actor=chair, member_id=sister.pk, shared_on=today, request=None)
    agreement = signoff.record_panel_agreement(
        world.refresh(), actor=chair, signed_on=today, person_id=chair.pk, note="", request=None
    )
    recommendation = add_recommendation(world)
    action = add_action(world, recommendation, world.contributor_a)
    area = _qa_letter(world, overview.pk)
    entry = register.add_identifier(
        world.refresh(), actor=coordinator, kind=IdentifierKind.NAME, pseudonym="Adult A", value="Janey", request=None
    )
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    hit = Hit.objects.filter(candidate=candidate).first()
    assert hit is not None, "the planted name gives the candidate a hit"
    never_published = publication.record_family_told(
        world.refresh(),
        actor=coordinator,
        told_on=today - timedelta(days=2),
        how="In person",
        media_note="",
        request=None,
    )
    live = _published(world, "DHR-2025-03", LIVE_TITLE, taken_down=False)
    taken_down = _published(world, "DHR-2024-02", TAKEN_DOWN_TITLE, taken_down=True)
    partnership = review.partnership
    values = {
        "review_id": review.pk,
        "kind": ReportKind.OVERVIEW,
        "item": PublicationItemKind.OVERVIEW,
        "version_id": overview.pk,
        "round_id": comment_round.pk,
        "comment_id": comment.pk,
        "copy_id": family_copy.pk,
        "signoff_id": agreement.pk,
        "recommendation_id": recommendation.pk,
        "action_id": action.pk,
        "area_id": area.pk,
        "entry_id": entry.pk,
        "candidate_id": candidate.pk,
        "hit_id": hit.pk,
        "publication_id": live.publication_id,
        "item_id": live.pk,
        "slug": partnership.slug,
        "partnership_id": partnership.pk,
    }
    return Matrix(
        world=world,
        users=_people(world),
        values=values,
        hidden_publications=[never_published, taken_down.publication],
        hidden_items=[taken_down],
    )


def table_digest(model: type[Model]) -> str:
    """A subquery digesting every row of ``model``'s table, to compare before and after a request.

    On PostgreSQL one ``md5(string_agg(...))``; SQLite has no digest function, so there it is the
    rows themselves, concatenated (the matrices' worlds are small). Names come from the models.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        return f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t)"  # noqa: S608
    row = " || ',' || ".join(
        f"quote({connection.ops.quote_name(str(field.column))})" for field in model._meta.local_concrete_fields
    )
    return f"(SELECT group_concat(r, '|') FROM (SELECT {row} AS r FROM {table} ORDER BY 1))"  # noqa: S608


def rows_of(models: list[type[Model]]) -> dict[str, Any]:
    """What each model's table holds, in one query: the matrices take one or two for each of thousands of requests."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(table_digest(model) for model in models))
        digests = cursor.fetchone()
    return {model._meta.label: digest for model, digest in zip(models, digests, strict=True)}


def snapshot() -> dict[str, Any]:
    """Every row of every reports model (their many-to-many tables too) and of the reviews."""
    return rows_of([*apps.get_app_config("reports").get_models(include_auto_created=True), Review])
