"""The demo partnership's reports, action plan, quality assurance and publication; everything here is invented.

Added when ``manage.py seed_demo`` runs (through ``accounts.demo.demo_seeded``, after the reviews
and chronologies demos), through the same services people use, so the demo is audited like real
work and every upload is encrypted into the review's secure space like any other:

- DHR-2025-07 moves to analysis and drafting: version 1 of its overview report (the starting
  draft the tracker generates, pseudonyms only) is out to the panel for comment, with one
  comment on a section, and a copy has been shared with the family.
- DHR-2024-05 is published: signed off, through Home Office quality assurance (publish once
  changes are made, both areas for final development done), checked for identifiers (clean PDFs),
  the family told, and live on ``/published/``; its action plan has one action complete, one
  overdue and one due later, and themes are tagged on it and its recommendations.

Two things are set on the models directly: the overdue action's dates (an action cannot be added
already overdue) and the quality assurance letter's outcome (see ``_quality_assurance``). Running
it again changes nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dhr_tracker.accounts.models import Agency, Partnership, User
from dhr_tracker.reports.models import (
    Action,
    AreaForDevelopment,
    IdentifierKind,
    PublicationItemKind,
    QAOutcome,
    QASubmission,
    Report,
    ReportKind,
    ReportVersion,
    Scope,
)
from dhr_tracker.reports.services import actions, candidates, drafts, publication, qa, register, signoff, themes
from dhr_tracker.reviews.demo import DOMAIN, commission, form_panel, notify
from dhr_tracker.reviews.exports import PDF_FONTS
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import steps, terms
from sharing.models import Classification, Protocol, ProtocolStatus
from sharing.services.documents import DocumentFields, receive_bytes, upload_document

DRAFTING, PUBLISHED = "DHR-2025-07", "DHR-2024-05"
POLICE = "Exampleshire Police"


def _user(name: str) -> User:
    return User.objects.get(email=f"{name}@{DOMAIN}")


def _step(review: Review, name: str, actor: User) -> Review:
    return steps.take_step(review, name, actor=actor, rationale="", version=None, request=None)


def _upload_starting_draft(review: Review, kind: str, chair: User, note: str) -> ReportVersion:
    """The tracker's own starting draft (pseudonyms only), uploaded by the chair as the report's next version."""
    draft = drafts.export_starting_draft(review, actor=chair, kind=kind, request=None)
    upload = receive_bytes(draft.content, f"{review.reference} {ReportKind(kind).label.lower()}.docx")
    try:
        return drafts.add_report_version(review, actor=chair, kind=kind, note=note, upload=upload, request=None)
    finally:
        upload.discard()


# The review being drafted ------------------------------------------------------------------------


def _seed_drafting(review: Review, today: date) -> None:
    chair = _user("independent-chair")
    review = _step(review, "start_drafting", chair)
    version = _upload_starting_draft(review, ReportKind.OVERVIEW, chair, "The starting draft, with the chronology.")
    comment_round = drafts.circulate_version(
        version,
        actor=chair,
        due_on=today + timedelta(days=14),
        message="Please comment on the analysis and the lessons learned before the next panel meeting.",
        request=None,
    )
    drafts.add_comment(
        comment_round,
        actor=_user("police"),
        section="analysis",
        text="The analysis should say that the MARAC safety plan was not reviewed after the January decision.",
        request=None,
    )
    drafts.record_family_copy(version, actor=chair, member_id=None, shared_on=today, request=None)


# The published review ----------------------------------------------------------------------------


def _approve_terms(review: Review, today: date) -> None:
    coordinator = _user("coordinator")
    fields: dict[str, Any] = {
        "period_start": review.died_on - timedelta(days=2 * 365),
        "period_end": review.died_on,
        "period_start_reason": "Two years before the death, when Ms G moved to Exampleshire.",
        "lines_of_enquiry": "Economic abuse\nAccess to mental health services\nInformation sharing",
        "equality_and_diversity": "The protected characteristics of Ms G and Mr H.",
        "family_involvement": "Ms G's sister, with her advocate.",
        "perpetrator_involvement": "Mr H declined to take part.",
        "parallel_processes": "The criminal trial, now concluded.",
        "method": "Chronologies and individual management reviews from each agency.",
        "timetable": "Six months from the decision.",
    }
    agencies = list(review.scoped_agencies.values_list("agency_id", flat=True))
    draft = terms.draft_terms(
        review, actor=coordinator, fields=fields, agency_ids=agencies, subjects=["Ms G", "Mr H"], request=None
    )
    terms.record_agreement(draft, actor=coordinator, agreed_on=today, request=None)
    terms.approve_terms(draft, actor=_user("csp-chair"), request=None)


@dataclass(frozen=True)
class _Plan:
    text: str
    scope: str
    department: str
    themes: tuple[str, ...]
    # (action, days from today to its target date; negative: overdue; None: complete)
    actions: tuple[tuple[str, int | None], ...]


PLAN = (
    _Plan(
        "Exampleshire Police should make sure every DASH risk assessment records questions about economic abuse.",
        Scope.LOCAL,
        "",
        ("Economic abuse", "Risk assessment"),
        (
            ("Add economic abuse prompts to the DASH guidance for response officers.", None),
            ("Audit 50 DASH assessments for the new prompts and report to the CSP.", -14),
        ),
    ),
    _Plan(
        "The Department of Health and Social Care should issue guidance on routine enquiry about domestic abuse "
        "in community mental health teams.",
        Scope.NATIONAL,
        "Department of Health and Social Care",
        ("Mental health", "Information sharing"),
        (("Write to the Department with the review's findings and ask for a response.", 120),),
    ),
)

LETTER_AREAS = (
    "Say more about how the victim's financial situation affected her choices.",
    "Add the panel members' agencies and roles to the introduction.",
)

OVERVIEW_TEXT = (
    "This review looks at the contact agencies had with Ms G and Mr H in the two years before Ms G died.",
    "Ms G was known to the police, her GP and the community mental health team. Mr H controlled the "
    "household's money and her access to her own bank account.",
    "The panel found that the risk assessments completed by the police did not ask about economic abuse, "
    "and that the mental health team did not ask Ms G about domestic abuse.",
    "The review makes two recommendations: one for Exampleshire Police and one for the Department of Health "
    "and Social Care.",
)
SUMMARY_TEXT = (
    "Ms G died in her home. Mr H was convicted of her murder.",
    "The panel found that nobody asked Ms G about economic abuse, although she told her GP that she had no "
    "money of her own.",
    "Two recommendations follow: economic abuse in police risk assessments, and routine enquiry in mental "
    "health services.",
)


def _pdf(title: str, paragraphs: tuple[str, ...]) -> bytes:
    """A small public PDF with the review's text, pseudonyms only, in the DejaVu font the exports use."""
    pdf = FPDF(format="A4")
    # The regular face only: loading a font is most of the time a small PDF takes.
    pdf.add_font("DejaVu", "", str(PDF_FONTS[""]))
    pdf.set_title(title)
    pdf.set_author("Exampleshire Community Safety Partnership")
    pdf.add_page()
    pdf.set_font("DejaVu", "", 16)
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    for text in paragraphs:
        pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    return bytes(pdf.output())


def _sign_off(review: Review, today: date) -> Review:
    """Drafts of both reports, the family's copy and its return, the panel's agreement and the CSP chair's approval."""
    chair, csp_chair = _user("independent-chair"), _user("csp-chair")
    review = _step(_step(review, "start_gathering", chair), "start_drafting", chair)
    overview = _upload_starting_draft(review, ReportKind.OVERVIEW, chair, "")
    summary = _upload_starting_draft(review, ReportKind.SUMMARY, chair, "")
    review = _step(review, "share_with_family", chair)
    copy = drafts.record_family_copy(
        overview, actor=chair, member_id=None, shared_on=today - timedelta(days=150), request=None
    )
    drafts.record_family_return(
        copy, actor=chair, returned_on=today - timedelta(days=130), response="No changes asked for.", request=None
    )
    review = _step(review, "seek_panel_signoff", chair)
    signoff.record_panel_agreement(
        review, actor=chair, signed_on=today - timedelta(days=120), person_id=chair.pk, note="", request=None
    )
    review = _step(review, "seek_csp_signoff", chair)
    signoff.approve_report(
        review,
        actor=csp_chair,
        overview_id=overview.pk,
        summary_id=summary.pk,
        signed_on=today - timedelta(days=110),
        note="",
        request=None,
    )
    return Review.objects.get(pk=review.pk)


def _quality_assurance(review: Review, today: date) -> Review:
    """Submitted to the Home Office; its letter: publish once changes are made, both areas done.

    The outcome's service uploads the letter as the person recording it, who must be a member of
    the secure space; the demo's coordinator and CSP chair work for no agency of its protocol, so
    the independent chair uploads the letter and the outcome is set on the submission here.
    """
    coordinator, chair = _user("coordinator"), _user("independent-chair")
    submission = qa.record_submission(
        review,
        actor=coordinator,
        submitted_on=today - timedelta(days=100),
        version_ids=qa.latest_versions(review),
        action_plan_sent=True,
        commissioner_copied_on=today - timedelta(days=100),
        request=None,
    )
    space = review.space
    if space is None:
        raise ValidationError(drafts.NO_SPACE)
    letter = _pdf("Home Office quality assurance panel", ("The panel thanks the chair for a thorough report.",))
    upload = receive_bytes(letter, f"{review.reference} quality assurance letter.pdf")
    try:
        document = upload_document(
            space,
            actor=chair,
            fields=DocumentFields(
                title=f"Home Office quality assurance letter ({qa.submission_name(submission.number)})",
                description="",
                classification=Classification.OFFICIAL_SENSITIVE,
                access_expires_at=None,
            ),
            upload=upload,
            request=None,
        )
    finally:
        upload.discard()
    QASubmission.objects.filter(pk=submission.pk).update(
        panel_met_on=today - timedelta(days=50),
        letter_on=today - timedelta(days=45),
        letter=document,
        outcome=QAOutcome.PUBLISH_WITH_CHANGES,
        strengths="A clear analysis of economic abuse.",
        outcome_recorded_by=coordinator,
        outcome_recorded_at=timezone.now(),
    )
    AreaForDevelopment.objects.bulk_create(
        AreaForDevelopment(submission=submission, number=number, text=text)
        for number, text in enumerate(LETTER_AREAS, start=1)
    )
    review = steps.take_registered_step(review, "record_qa_outcome", actor=coordinator, rationale="", request=None)
    for area in submission.areas.order_by("number"):
        qa.complete_area(
            area,
            actor=coordinator,
            done_on=today - timedelta(days=30),
            how_addressed="Added to the report.",
            request=None,
        )
    return _step(review, "prepare_publication", coordinator)


def _action_plan(review: Review, today: date) -> None:
    """The recommendations and their actions; one complete, one overdue, one due later; themes on all."""
    coordinator = _user("coordinator")
    police = Agency.objects.get(name=POLICE)
    tagged: dict[int, list[str]] = {}
    for plan in PLAN:
        local = plan.scope == Scope.LOCAL
        recommendation = actions.add_recommendation(
            review,
            actor=coordinator,
            fields=actions.RecommendationFields(
                text=plan.text,
                scope=plan.scope,
                multi_agency=not local,
                lead_agency_id=police.pk if local else None,
                owner_id=coordinator.pk,
                department=plan.department,
                target_on=today + timedelta(days=180),
            ),
            request=None,
        )
        tagged[recommendation.pk] = list(plan.themes)
        for text, due_in in plan.actions:
            action = actions.add_action(
                recommendation,
                actor=coordinator,
                fields=actions.ActionFields(
                    text=text,
                    lead_agency_id=police.pk if local else None,
                    owner_id=coordinator.pk,
                    target_on=today + timedelta(days=30 if due_in is None or due_in < 0 else due_in),
                ),
                request=None,
            )
            if due_in is None:
                _complete(action, coordinator, today)
            elif due_in < 0:
                # An action is added due today or later; this one was added months ago and is now late.
                Action.objects.filter(pk=action.pk).update(
                    target_on=today + timedelta(days=due_in), created_at=timezone.now() - timedelta(days=90)
                )
    themes.tag(
        review,
        actor=coordinator,
        review_themes=["Coercive control", "Economic abuse", "Mental health"],
        recommendation_themes=tagged,
        request=None,
    )


def _complete(action: Action, owner: User, today: date) -> None:
    actions.update_action(
        action,
        actor=owner,
        progress=actions.Progress(
            note="Guidance issued to every response team.",
            milestones="Guidance drafted; agreed by the force's domestic abuse lead; issued.",
            at_risk=False,
            evidence_ids=(),
            completed_on=today,
            outcome="The DASH guidance now prompts officers to ask about money and bank accounts.",
        ),
        version=action.version,
        request=None,
    )


def _publish(review: Review, today: date) -> None:
    """A register entry, clean candidate PDFs, the family told, and the publication."""
    coordinator = _user("coordinator")
    register.add_identifier(
        review, actor=coordinator, kind=IdentifierKind.NAME, pseudonym="Ms G", value="Gigi", request=None
    )
    for item, title, text in (
        (PublicationItemKind.OVERVIEW, "Overview report", OVERVIEW_TEXT),
        (PublicationItemKind.SUMMARY, "Executive summary", SUMMARY_TEXT),
    ):
        candidates.upload_candidate(
            review,
            actor=coordinator,
            item=item,
            content=_pdf(f"{review.reference}: {title.lower()}", text),
            file_name=f"{review.reference} {title.lower()}.pdf",
            request=None,
        )
    publication.record_family_told(
        review,
        actor=coordinator,
        told_on=today - timedelta(days=7),
        how="By their advocate, at a meeting",
        media_note="",
        request=None,
    )
    publication.publish(review, actor=_user("csp-chair"), title="", request=None)


def _seed_published(partnership: Partnership, protocol: Protocol, today: date) -> None:
    review = notify(partnership, PUBLISHED, notified_on=today - timedelta(days=420), victim="Ms G", other="Mr H")
    review = form_panel(commission(review, today - timedelta(days=400)), protocol, today)
    _approve_terms(review, today)
    review = _sign_off(review, today)
    review = _quality_assurance(review, today)
    _action_plan(review, today)
    _publish(review, today)


def seed(partnership: Partnership) -> None:
    drafting = Review.objects.filter(partnership=partnership, reference=DRAFTING).first()
    if drafting is None or Report.objects.filter(review__partnership=partnership).exists():
        return
    protocol = Protocol.objects.filter(scope=partnership, status=ProtocolStatus.ACTIVE).order_by("-pk").first()
    if protocol is None:
        return
    today = timezone.localdate()
    _seed_drafting(drafting, today)
    _seed_published(partnership, protocol, today)


def on_demo_seeded(sender: Any, partnership: Partnership, **kwargs: Any) -> None:
    seed(partnership)
