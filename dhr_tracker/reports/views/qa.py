"""Home Office quality assurance pages: the submissions and letters of a review, recording a
submission, recording the letter, and marking its areas for final development done.

The review is fetched through ``access.access_review`` (404 for those who do not read it); those
who read it but may not record (the independent chair, the panel) get 403. The letter is read
through the secure space's encrypting upload handler, after access is checked, exactly as the
space's own upload page does (``sharing.views.documents``), so a refused user's file is never
spooled and plaintext never touches disk.
"""

import contextlib
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.forms import posted, submit
from dhr_tracker.reports import access, qaoutcomes
from dhr_tracker.reports.forms.qa import AreaDoneForm, OutcomeForm, SubmissionForm
from dhr_tracker.reports.models import AreaForDevelopment, QASubmission, ReportVersion
from dhr_tracker.reports.services import qa as services
from dhr_tracker.reports.views import join_space_url, post_only, report_page
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Review
from sharing import access as sharing_access
from sharing.forms import UploadForm
from sharing.uploads import SpooledUpload
from sharing.views.documents import receive_upload

SECTION = "reports:qa"
# The states a submission can be recorded in: after CSP sign-off, and while amending (a resubmission).
SUBMITTABLE = frozenset({State.CSP_SIGNOFF, State.AMENDING})


def _for_recording(request: SignedInRequest, review_id: int) -> Review:
    review = access.access_review(request.user, review_id)
    if not access.can_record_qa(request.user, review):
        raise PermissionDenied
    return review


def _area_for_change(request: SignedInRequest, area_id: int) -> AreaForDevelopment:
    """The area, if the user reads its review (404 otherwise) and may mark it done or not (403 otherwise)."""
    area = access.access_area(request.user, area_id)
    if not access.can_complete_area(request.user, area.submission.review):
        raise PermissionDenied
    return area


def _area_form(area: AreaForDevelopment, data: Any = None) -> AreaDoneForm:
    return AreaDoneForm(data, prefix=f"area-{area.pk}", initial={"done_on": timezone.localdate()})


def _qa_page(request: SignedInRequest, review: Review, failed: AreaDoneForm | None = None) -> HttpResponse:
    user = request.user
    submissions = list(
        QASubmission.objects.filter(review=review)
        .select_related("letter", "submitted_by", "outcome_recorded_by")
        .prefetch_related(
            Prefetch("versions", queryset=ReportVersion.objects.select_related("report").order_by("report__kind")),
            Prefetch("areas", queryset=AreaForDevelopment.objects.select_related("done_by")),
        )
        .order_by("number")
    )
    can_complete = access.can_complete_area(user, review)
    wording = qaoutcomes.wording()
    rows = []
    for submission in submissions:
        areas = [
            (area, failed if failed is not None and failed.prefix == f"area-{area.pk}" else _area_form(area))
            for area in submission.areas.all()
        ]
        rows.append(
            {
                "submission": submission,
                "name": services.submission_name(submission.number),
                "outcome": wording.get(submission.outcome, ""),
                "can_open_letter": submission.letter is not None and sharing_access.can_open(user, submission.letter),
                "areas": areas,
                "open_areas": sum(1 for area, _ in areas if area.done_on is None),
            }
        )
    can_record = access.can_record_qa(user, review)
    context = {
        "rows": rows,
        "resubmissions": services.resubmissions(review),
        "can_record": can_record,
        "awaiting": can_record and services.awaiting_outcome(review) is not None,
        "can_submit": can_record and review.state in SUBMITTABLE,
        "can_complete": can_complete,
        "form": failed,
    }
    return report_page(request, "reports/qa.html", review, SECTION, context)


@verified()
def qa(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Every submission to the Home Office, its letter and outcome, and the areas for final development."""
    review = access.access_review(request.user, review_id)
    return _qa_page(request, review)


@verified()
def qa_submit(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Record a submission (or resubmission) to the Home Office."""
    review = _for_recording(request, review_id)
    initial = {
        "submitted_on": timezone.localdate(),
        "versions": services.latest_versions(review),
        "action_plan_sent": True,
    }
    form = SubmissionForm(posted(request), versions=services.version_choices(review), initial=initial)
    done = submit(
        form,
        lambda data: services.record_submission(
            review,
            actor=request.user,
            submitted_on=data["submitted_on"],
            version_ids=data["versions"],
            action_plan_sent=data["action_plan_sent"],
            commissioner_copied_on=data["commissioner_copied_on"],
            request=request,
        ),
    )
    if done is not None:
        return redirect("reports:qa", review_id=review.pk)
    number = QASubmission.objects.filter(review=review).count() + 1
    context = {"form": form, "name": services.submission_name(number)}
    return report_page(request, "reports/qa_submit.html", review, SECTION, context)


@csrf_exempt  # The body is read through the encrypting handler first; receive_upload then checks CSRF.
@verified()
def qa_outcome(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Record the Home Office's letter on the latest submission: upload it, with its outcome and areas."""
    review = _for_recording(request, review_id)
    submission = services.awaiting_outcome(review)
    space = review.space
    can_upload = space is not None and sharing_access.can_upload(request.user, space)

    def page(form: UploadForm, status: int) -> HttpResponse:
        context = {
            "form": form,
            "submission": submission,
            "name": services.submission_name(submission.number) if submission is not None else "",
            "can_upload": can_upload,
            "join_url": join_space_url(request.user, review),
        }
        return report_page(request, "reports/qa_outcome.html", review, SECTION, context, status=status)

    if submission is None or not can_upload:
        return page(OutcomeForm(), 200 if request.method != "POST" else 400)

    def accept(form: UploadForm, upload: SpooledUpload) -> HttpResponse:
        done = submit(
            form,
            lambda data: services.record_outcome(
                submission,
                actor=request.user,
                fields=services.OutcomeFields(
                    panel_met_on=data["panel_met_on"],
                    letter_on=data["letter_on"],
                    outcome=data["outcome"],
                    strengths=data["strengths"],
                    areas=data["areas"],
                ),
                upload=upload,
                request=request,
            ),
        )
        if done is None:
            return page(form, 400)
        return redirect("reports:qa", review_id=review.pk)

    if request.method != "POST":
        return page(OutcomeForm(), 200)
    # The CSRF decorator inside is typed as returning any response; it returns a page or a redirect.
    return cast(HttpResponse, receive_upload(request, OutcomeForm, page, accept))


@verified()
def area_done(request: SignedInRequest, area_id: int) -> HttpResponse:
    """Mark an area for final development done, with how the report addresses it."""
    area = _area_for_change(request, area_id)
    review = area.submission.review
    if (refusal := post_only(request)) is not None:
        return refusal
    form = _area_form(area, request.POST)
    done = submit(
        form,
        lambda data: services.complete_area(
            area, actor=request.user, done_on=data["done_on"], how_addressed=data["how_addressed"], request=request
        ),
    )
    if done is None:
        return _qa_page(request, review, failed=form)
    return redirect("reports:qa", review_id=review.pk)


@verified()
def area_reopen(request: SignedInRequest, area_id: int) -> HttpResponse:
    """Mark a done area as not done after all."""
    area = _area_for_change(request, area_id)
    review = area.submission.review
    if (refusal := post_only(request)) is not None:
        return refusal
    # Already open (a second click, or someone else reopened it): the page shows it as it is.
    with contextlib.suppress(ValidationError):
        services.reopen_area(area, actor=request.user, request=request)
    return redirect("reports:qa", review_id=review.pk)


urlpatterns = [
    path("reviews/<int:review_id>/quality-assurance/", qa, name="qa"),
    path("reviews/<int:review_id>/quality-assurance/submit/", qa_submit, name="qa_submit"),
    path("reviews/<int:review_id>/quality-assurance/letter/", qa_outcome, name="qa_outcome"),
    path("qa-areas/<int:area_id>/done/", area_done, name="area_done"),
    path("qa-areas/<int:area_id>/reopen/", area_reopen, name="area_reopen"),
]
