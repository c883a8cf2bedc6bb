"""Importing a chronology file into the agency's draft: the upload, and the page that follows the import.

The upload's plaintext must never be written to disk. Django keeps an upload in memory only up to
``FILE_UPLOAD_MAX_MEMORY_SIZE`` and spools anything larger to a temporary file, so this view
replaces the request's upload handlers with ``InMemoryUpload`` alone, after checking who is
uploading and refusing unread any request larger than the largest file allowed. Upload handlers
can only be replaced before the body is read, and Django's CSRF check reads it, so the view is
exempt from the middleware's check and makes the same check itself (the project's middleware,
``accounts.middleware.CsrfViewMiddleware``) once the handlers are in place; as in
``sharing.views.documents``.

The progress page refreshes itself every two seconds until the import finishes (a meta refresh:
no script, as the content security policy allows none inline).
"""

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

from dhr_tracker.accounts.middleware import CsrfViewMiddleware
from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.chronologies import access
from dhr_tracker.chronologies.forms.submissions import ImportForm
from dhr_tracker.chronologies.importing import Duplicate, Problem
from dhr_tracker.chronologies.models import ImportStatus, Submission
from dhr_tracker.chronologies.services import imports as services
from dhr_tracker.chronologies.spreadsheets import MAX_BYTES, format_size
from dhr_tracker.chronologies.views import PAGE_SIZE, chronology_page
from dhr_tracker.forms import submit

SECTION = "chronologies:requests"
# The form's other fields and the multipart framing around the file.
UPLOAD_OVERHEAD = 64 * 1024
REFRESH_SECONDS = 2
csrf_checked = decorator_from_middleware(CsrfViewMiddleware)


class InMemoryUpload(MemoryFileUploadHandler):
    """Keep the whole file in memory, whatever its size: a chronology's plaintext never touches a temporary file.

    Django's handler steps aside above ``FILE_UPLOAD_MAX_MEMORY_SIZE`` for the temporary-file
    handler; this one never does. Memory is bounded by the view, which refuses unread any body
    over ``MAX_BYTES`` plus the form's overhead (and Django reads no more than the declared length).
    """

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True


def _page(request: HttpRequest, submission: Submission, form: ImportForm, *, status: int | None = None) -> HttpResponse:
    context = {"submission": submission, "agency_request": submission.request, "form": form, "max_size": MAX_BYTES}
    return chronology_page(
        request, "chronologies/import_new.html", submission.request.review, SECTION, context, status=status
    )


@csrf_checked
def _receive(request: SignedInRequest, submission: Submission) -> HttpResponse:
    """Read the upload into memory, checked against CSRF, and start the import."""
    form = ImportForm(request.POST, request.FILES)

    def start(data: dict[str, Any]) -> Any:
        upload = data["file"]
        return services.start_import(
            submission, actor=request.user, content=upload.read(), file_name=upload.name or "", request=request
        )

    job = submit(form, start)
    if job is not None:
        return redirect("chronologies:import_progress", job_id=job.pk)
    return _page(request, submission, form)


@csrf_exempt  # The body is read by InMemoryUpload only, after access is checked; _receive then checks CSRF.
@verified()
def import_new(request: SignedInRequest, submission_id: int) -> HttpResponse:
    submission = access.access_submission(request.user, submission_id)
    if not access.can_edit_draft(request.user, submission):
        raise PermissionDenied
    if request.method != "POST":
        return _page(request, submission, ImportForm())
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not (declared.isascii() and declared.isdigit()) or int(declared) > MAX_BYTES + UPLOAD_OVERHEAD:
        # Refused unread: the size is all there is to report.
        form = ImportForm(data={})
        form.errors.clear()
        form.add_error(
            "file", f"The selected file must be smaller than {format_size(MAX_BYTES)}. Split it into smaller files"
        )
        return _page(request, submission, form, status=413)
    request.upload_handlers = [InMemoryUpload(request)]
    # The CSRF decorator is typed as returning any response; _receive returns a page or a redirect.
    return cast(HttpResponse, _receive(request, submission))


@verified()
def import_progress(request: SignedInRequest, job_id: Any) -> HttpResponse:
    job = access.access_import(request.user, job_id)
    submission = job.submission
    problems = Paginator(job.problems, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "job": job,
        "submission": submission,
        "agency_request": submission.request,
        "refresh": None if job.finished else REFRESH_SECONDS,
        "page": problems,
        "problem_rows": [str(Problem(**problem)) for problem in problems.object_list],
        "duplicates": [str(Duplicate(tuple(rows))) for rows in job.duplicates],
        "shown_all_problems": len(job.problems) == job.problem_count,
        "statuses": ImportStatus,
    }
    return chronology_page(request, "chronologies/import_progress.html", submission.request.review, SECTION, context)


urlpatterns = [
    path("submissions/<int:submission_id>/import/", import_new, name="import_new"),
    path("imports/<uuid:job_id>/", import_progress, name="import_progress"),
]
