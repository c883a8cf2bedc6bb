"""Home Office quality assurance (DHR.md s11): submissions, the panel's letter, and its areas for
final development tracked to done.

A submission records the date, the report versions sent, whether the action plan went with
them and when the Domestic Abuse Commissioner was copied; number 1 is the first submission, 2
and on are resubmissions. It takes the lifecycle step ``submit_to_home_office`` (from CSP
sign-off) or ``resubmit`` (while amending). The letter is uploaded into the review's secure space
(``sharing.services.documents.upload_document``, OFFICIAL-SENSITIVE) with the panel's meeting
date, the outcome, the strengths and the numbered areas, and takes ``record_qa_outcome``. Each
step is taken inside the service's transaction after its records are made, so a refusal (the
wrong state, a fact missing) leaves nothing behind and its message reaches the form.

Audit details carry ids, numbers, dates and outcome codes, never the letter's text.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, text_of
from dhr_tracker.reports import access
from dhr_tracker.reports.models import AreaForDevelopment, QAOutcome, QASubmission, ReportKind, ReportVersion
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change
from dhr_tracker.reviews.services import steps as review_steps
from sharing import access as sharing_access
from sharing.models import Classification
from sharing.services import documents
from sharing.uploads import SpooledUpload

# The letters seen name three to ten areas; a hundred is a paste gone wrong, not a letter.
MAX_AREAS = 100
TEXT_LIMIT_MESSAGE = "must be 10,000 characters or fewer"


def submission_name(number: int) -> str:
    """ "first submission", "resubmission 1", "resubmission 2"..."""
    return "first submission" if number == 1 else f"resubmission {number - 1}"


def version_choices(review: Review) -> list[tuple[int, str]]:
    """The review's report versions, overview report first, newest first within each."""
    versions = (
        ReportVersion.objects.filter(report__review=review).select_related("report").order_by("report__kind", "-number")
    )
    return [(version.pk, f"{version.report.get_kind_display()}, version {version.number}") for version in versions]


def latest_versions(review: Review) -> list[int]:
    """The newest overview report and executive summary versions: what is usually sent."""
    latest: dict[str, int] = {}
    for pk, kind in (
        ReportVersion.objects.filter(report__review=review)
        .order_by("report__kind", "-number")
        .values_list("pk", "report__kind")
    ):
        latest.setdefault(kind, pk)
    return sorted(latest.values())


def resubmissions(review: Review) -> int:
    """How many times the report went back to the Home Office after its first submission."""
    return max(QASubmission.objects.filter(review=review).count() - 1, 0)


def awaiting_outcome(review: Review) -> QASubmission | None:
    """The latest submission, if its letter has not been recorded."""
    latest = QASubmission.objects.filter(review=review).order_by("-number").first()
    return latest if latest is not None and not latest.outcome else None


def parse_areas(text: str) -> list[str]:
    """The areas for final development, one a line; empty lines ignored."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def record_submission(
    review: Review,
    *,
    actor: Any,
    submitted_on: date,
    version_ids: list[int],
    action_plan_sent: bool,
    commissioner_copied_on: date | None,
    request: HttpRequest | None,
) -> QASubmission:
    """Record a submission to the Home Office and move the review to "with the Home Office"."""
    check_not_future(submitted_on, "submitted_on", "The date of submission")
    check_not_future(commissioner_copied_on, "commissioner_copied_on", "The date the Commissioner was copied")
    check_not_before(
        commissioner_copied_on,
        submitted_on,
        "commissioner_copied_on",
        "The Commissioner cannot be copied before the report was submitted",
    )
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_record_qa(actor, r))
        versions = list(
            ReportVersion.objects.filter(report__review=current, pk__in=version_ids).select_related("report")
        )
        if len(versions) != len(set(version_ids)):
            raise ValidationError({"versions": "Choose the versions sent from the review's reports"})
        if not any(version.report.kind == ReportKind.OVERVIEW for version in versions):
            raise ValidationError({"versions": "Select the version of the overview report that was sent"})
        previous = QASubmission.objects.filter(review=current).order_by("-number").first()
        if previous is not None:
            check_not_before(
                submitted_on,
                previous.letter_on,
                "submitted_on",
                "A resubmission must be on or after the date of the last letter",
            )
        number = previous.number + 1 if previous is not None else 1
        submission = QASubmission.objects.create(
            review=current,
            number=number,
            submitted_on=submitted_on,
            action_plan_sent=action_plan_sent,
            commissioner_copied_on=commissioner_copied_on,
            submitted_by=actor,
        )
        submission.versions.set(versions)
        record_change(
            "reports.qa_submitted",
            actor=actor,
            review=current,
            target=submission,
            request=request,
            number=number,
            submitted_on=submitted_on.isoformat(),
            versions=sorted(version.pk for version in versions),
            action_plan_sent=action_plan_sent,
            commissioner_copied_on=commissioner_copied_on.isoformat() if commissioner_copied_on else None,
        )
        step = "resubmit" if current.state == State.AMENDING else "submit_to_home_office"
        review_steps.take_registered_step(current, step, actor=actor, rationale="", request=request)
    return submission


@dataclass(frozen=True)
class OutcomeFields:
    """What the letter says, as the form and the service take it."""

    panel_met_on: date
    letter_on: date
    outcome: str
    strengths: str
    areas: tuple[str, ...]


def _check_outcome(submission: QASubmission, fields: OutcomeFields) -> None:
    check_not_future(fields.panel_met_on, "panel_met_on", "The date the panel met")
    check_not_before(
        fields.panel_met_on,
        submission.submitted_on,
        "panel_met_on",
        "The panel cannot meet before the report was submitted",
    )
    check_not_future(fields.letter_on, "letter_on", "The date of the letter")
    check_not_before(
        fields.letter_on, submission.submitted_on, "letter_on", "The letter cannot be dated before the submission"
    )
    check_not_before(
        fields.letter_on, fields.panel_met_on, "letter_on", "The letter cannot be dated before the panel met"
    )
    if fields.outcome not in QAOutcome.values:
        raise ValidationError({"outcome": "Select the outcome the letter gives"})
    if len(fields.strengths) > TEXT_LIMIT:
        raise ValidationError({"strengths": f"The strengths {TEXT_LIMIT_MESSAGE}"})
    if fields.outcome != QAOutcome.PUBLISH and not fields.areas:
        raise ValidationError({"areas": "Enter the areas for final development the letter lists, one a line"})
    if len(fields.areas) > MAX_AREAS:
        raise ValidationError({"areas": f"Enter at most {MAX_AREAS} areas for final development"})
    if any(len(area) > TEXT_LIMIT for area in fields.areas):
        raise ValidationError({"areas": f"Each area {TEXT_LIMIT_MESSAGE}"})


def record_outcome(
    submission: QASubmission,
    *,
    actor: Any,
    fields: OutcomeFields,
    upload: SpooledUpload,
    request: HttpRequest | None,
) -> QASubmission:
    """Record the Home Office's letter on the latest submission: upload it, note the outcome and its areas.

    The letter goes into the review's secure space like any document; if anything is then
    refused, the version row that took the spooled file over is rolled back, so the file is
    handed back to the request to be deleted.
    """
    review = submission.review
    if not access.can_record_qa(actor, review):
        raise PermissionDenied
    _check_outcome(submission, fields)
    space = review.space
    if space is None or not sharing_access.can_upload(actor, space):
        raise ValidationError({"file": "Only members of the review's secure space can upload the letter"})
    try:
        with transaction.atomic():
            current = locked(review, version=None, allowed=lambda r: access.can_record_qa(actor, r))
            row = QASubmission.objects.select_for_update().get(pk=submission.pk)
            latest = QASubmission.objects.filter(review=current).aggregate(latest=Max("number"))["latest"]
            if row.outcome or row.number != latest:
                raise ValidationError("The outcome of this submission has already been recorded")
            letter = documents.upload_document(
                space,
                actor=actor,
                fields=documents.DocumentFields(
                    title=f"Home Office quality assurance letter ({submission_name(row.number)})",
                    description="",
                    classification=Classification.OFFICIAL_SENSITIVE,
                    access_expires_at=None,
                ),
                upload=upload,
                request=request,
            )
            row.panel_met_on, row.letter_on, row.letter = fields.panel_met_on, fields.letter_on, letter
            row.outcome, row.strengths = fields.outcome, fields.strengths.strip()
            row.outcome_recorded_by, row.outcome_recorded_at = actor, timezone.now()
            row.save()
            AreaForDevelopment.objects.bulk_create(
                AreaForDevelopment(submission=row, number=number, text=text)
                for number, text in enumerate(fields.areas, start=1)
            )
            record_change(
                "reports.qa_outcome_recorded",
                actor=actor,
                review=current,
                target=row,
                request=request,
                number=row.number,
                outcome=row.outcome,
                panel_met_on=fields.panel_met_on.isoformat(),
                letter_on=fields.letter_on.isoformat(),
                letter=letter.pk,
                areas=len(fields.areas),
                turnaround_days=row.turnaround_days,
            )
            review_steps.take_registered_step(current, "record_qa_outcome", actor=actor, rationale="", request=request)
    except BaseException:
        upload.kept = False
        raise
    return row


def _locked_area(area: AreaForDevelopment, actor: Any) -> AreaForDevelopment:
    """Lock the area's row for a change by ``actor``, asked on the copy given and on the locked review."""
    review = area.submission.review
    if not access.can_complete_area(actor, review):
        raise PermissionDenied
    locked(review, version=None, allowed=lambda r: access.can_complete_area(actor, r))
    return AreaForDevelopment.objects.select_for_update().select_related("submission__review").get(pk=area.pk)


def _set_area(
    current: AreaForDevelopment,
    action: str,
    state: tuple[date | None, str, Any],
    *,
    actor: Any,
    request: HttpRequest | None,
) -> None:
    """Save the (locked) area's done date, how it was addressed and by whom, and record ``action``."""
    current.done_on, current.how_addressed, current.done_by = state
    current.save(update_fields=["done_on", "how_addressed", "done_by"])
    record_change(
        action,
        actor=actor,
        review=current.submission.review,
        target=current,
        request=request,
        submission=current.submission.number,
        number=current.number,
        done_on=current.done_on.isoformat() if current.done_on else None,
    )


def complete_area(
    area: AreaForDevelopment, *, actor: Any, done_on: date, how_addressed: str, request: HttpRequest | None
) -> AreaForDevelopment:
    """Mark an area for final development done, saying how the report now addresses it."""
    check_not_future(done_on, "done_on", "The date it was done")
    text = text_of(how_addressed, "how_addressed", "Enter how the report now addresses this area", "The answer")
    with transaction.atomic():
        current = _locked_area(area, actor)
        check_not_before(
            done_on, current.submission.letter_on, "done_on", "An area cannot be done before the letter's date"
        )
        if current.done_on is not None:
            raise ValidationError("This area is already marked as done")
        _set_area(current, "reports.qa_area_done", (done_on, text, actor), actor=actor, request=request)
    return current


def reopen_area(area: AreaForDevelopment, *, actor: Any, request: HttpRequest | None) -> AreaForDevelopment:
    """Mark a done area as not done after all, clearing how it was addressed."""
    with transaction.atomic():
        current = _locked_area(area, actor)
        if current.done_on is None:
            raise ValidationError("This area is not marked as done")
        _set_area(current, "reports.qa_area_reopened", (None, "", None), actor=actor, request=request)
    return current
