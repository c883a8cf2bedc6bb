"""A chronology's versions: each version's page and entries, entry by form, submitting, the panel's
decision, the differences between versions, and the template to download.

Every page fetches the version through ``access.access_submission`` (404 for anyone who may not
see it: another agency's contributors, outsiders, and the panel for anything not accepted) and
asks ``access.can_edit_draft`` or ``access.can_decide_submission`` before showing a form (403).
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.text import slugify

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.chronologies import access, diffs, template
from dhr_tracker.chronologies.forms.submissions import (
    AcceptForm,
    EntryEditForm,
    EntryForm,
    ReturnForm,
    VersionForm,
)
from dhr_tracker.chronologies.models import AgencyRequest, Entry, RequestKind, Submission
from dhr_tracker.chronologies.partialdates import clock
from dhr_tracker.chronologies.services import submissions as services
from dhr_tracker.chronologies.views import PAGE_SIZE, chronology_page, post_only
from dhr_tracker.downloads import attachment
from dhr_tracker.forms import posted, submit

SECTION = "chronologies:requests"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_versions(user: Any, agency_request: AgencyRequest) -> list[Submission]:
    """The request's versions the user may see, newest first, with their entry counts."""
    versions = agency_request.submissions.select_related("created_by", "submitted_by", "decided_by").annotate(
        entry_count=Count("entries")
    )
    shown: list[Submission] = []
    for version in versions:
        version.request = agency_request
        if access.can_see_submission(user, version):
            shown.append(version)
    return shown


def chronology_context(user: Any, agency_request: AgencyRequest) -> dict[str, Any]:
    """What ``chronologies/request_chronology.html`` shows on a chronology request's page."""
    if agency_request.kind != RequestKind.CHRONOLOGY:
        return {}
    versions = visible_versions(user, agency_request)
    draft = next((version for version in versions if not version.frozen), None)
    return {
        "chronology": {
            "request": agency_request,
            "versions": versions,
            "draft": draft,
            "can_edit": draft is not None and access.can_edit_draft(user, draft),
            "can_start": access.can_start_draft(user, agency_request),
        }
    }


def _version(request: SignedInRequest, submission_id: int) -> Submission:
    return access.access_submission(request.user, submission_id)


def _draft_for_change(request: SignedInRequest, submission_id: int) -> Submission:
    """The draft, if the user may change it: 404 if they cannot see it, 403 if they may not change it."""
    submission = _version(request, submission_id)
    if not access.can_edit_draft(request.user, submission):
        raise PermissionDenied
    return submission


def _for_decision(request: SignedInRequest, submission_id: int) -> Submission:
    submission = _version(request, submission_id)
    if not access.can_decide_submission(request.user, submission):
        raise PermissionDenied
    return submission


def _page(request: SignedInRequest, name: str, submission: Submission, context: dict[str, Any]) -> HttpResponse:
    agency_request = submission.request
    full = {"submission": submission, "agency_request": agency_request, **context}
    return chronology_page(request, f"chronologies/{name}.html", agency_request.review, SECTION, full)


def _previous(submission: Submission, versions: list[Submission]) -> Submission | None:
    earlier = [version for version in versions if version.number < submission.number]
    return max(earlier, key=lambda version: version.number, default=None)


@verified()
def start_draft(request: SignedInRequest, request_id: int) -> HttpResponse:
    agency_request = access.access_request(request.user, request_id)
    if (refusal := post_only(request)) is not None:
        return refusal
    started = agency_request.submissions.order_by("-number").first()
    if started is not None and access.acts_for(request.user, agency_request):
        # Started already, perhaps by a colleague a moment ago: open it rather than refuse.
        return redirect("chronologies:submission", submission_id=started.pk)
    if not access.can_start_draft(request.user, agency_request):
        raise PermissionDenied
    try:
        submission = services.start_draft(agency_request, actor=request.user, request=request)
    except ValidationError:
        return redirect("chronologies:request", request_id=agency_request.pk)
    return redirect("chronologies:submission", submission_id=submission.pk)


@verified()
def submission(request: SignedInRequest, submission_id: int) -> HttpResponse:
    version = _version(request, submission_id)
    user = request.user
    versions = visible_versions(user, version.request)
    entries = Paginator(version.entries.order_by("order_key"), PAGE_SIZE).get_page(request.GET.get("page"))
    can_edit = access.can_edit_draft(user, version)
    latest_import = version.imports.order_by("-created_at").first() if can_edit else None
    return _page(
        request,
        "submission",
        version,
        {
            "versions": versions,
            "previous": _previous(version, versions),
            "page": entries,
            "can_edit": can_edit,
            "can_decide": access.can_decide_submission(user, version),
            "latest_import": latest_import,
        },
    )


@verified()
def entry_new(request: SignedInRequest, submission_id: int) -> HttpResponse:
    draft = _draft_for_change(request, submission_id)
    form = EntryForm(posted(request))
    entry = submit(
        form, lambda _: services.add_entry(draft, actor=request.user, fields=form.entry_fields(), request=request)
    )
    if entry is not None:
        if "another" in request.POST:
            return redirect("chronologies:entry_new", submission_id=draft.pk)
        return redirect("chronologies:submission", submission_id=draft.pk)
    return _page(request, "entry_new", draft, {"form": form})


def _entry(draft: Submission, entry_id: int) -> Entry:
    return get_object_or_404(Entry, pk=entry_id, submission=draft)


@verified()
def entry_edit(request: SignedInRequest, submission_id: int, entry_id: int) -> HttpResponse:
    draft = _draft_for_change(request, submission_id)
    entry = _entry(draft, entry_id)
    entry.submission = draft
    initial = {
        "on": str(entry.date),
        "at": clock(entry.at),
        "subject": entry.subject,
        "source_record": entry.source_record,
        "practitioner_role": entry.practitioner_role,
        "event": entry.event,
        "action_or_outcome": entry.action_or_outcome,
        "risks": entry.risk_indicators,
        "version": draft.version,
    }
    form = EntryEditForm(posted(request), initial=initial)
    saved = submit(
        form,
        lambda data: services.change_entry(
            entry, actor=request.user, fields=form.entry_fields(), version=data["version"], request=request
        ),
    )
    if saved is not None:
        return redirect("chronologies:submission", submission_id=draft.pk)
    return _page(request, "entry_edit", draft, {"form": form, "entry": entry})


@verified()
def entry_delete(request: SignedInRequest, submission_id: int, entry_id: int) -> HttpResponse:
    draft = _draft_for_change(request, submission_id)
    entry = _entry(draft, entry_id)
    entry.submission = draft
    form = VersionForm(posted(request), initial={"version": draft.version})
    deleted = submit(
        form,
        lambda data: services.delete_entry(entry, actor=request.user, version=data["version"], request=request),
    )
    if deleted:
        return redirect("chronologies:submission", submission_id=draft.pk)
    return _page(request, "entry_delete", draft, {"form": form, "entry": entry})


@verified()
def submission_submit(request: SignedInRequest, submission_id: int) -> HttpResponse:
    draft = _draft_for_change(request, submission_id)
    form = VersionForm(posted(request), initial={"version": draft.version})
    done = submit(
        form, lambda data: services.submit(draft, actor=request.user, version=data["version"], request=request)
    )
    if done is not None:
        return redirect("chronologies:submission", submission_id=draft.pk)
    return _page(request, "submission_submit", draft, {"form": form, "entry_count": draft.entries.count()})


@verified()
def submission_return(request: SignedInRequest, submission_id: int) -> HttpResponse:
    version = _for_decision(request, submission_id)
    form = ReturnForm(posted(request), initial={"version": version.version})
    draft = submit(
        form,
        lambda data: services.return_submission(
            version, actor=request.user, comments=data["comments"], version=data["version"], request=request
        ),
    )
    if draft is not None:
        return redirect("chronologies:submission", submission_id=version.pk)
    return _page(request, "submission_return", version, {"form": form})


@verified()
def submission_accept(request: SignedInRequest, submission_id: int) -> HttpResponse:
    version = _for_decision(request, submission_id)
    form = AcceptForm(posted(request), initial={"version": version.version})
    accepted = submit(
        form,
        lambda data: services.accept(
            version, actor=request.user, comments=data["comments"], version=data["version"], request=request
        ),
    )
    if accepted is not None:
        return redirect("chronologies:submission", submission_id=version.pk)
    return _page(request, "submission_accept", version, {"form": form, "entry_count": version.entries.count()})


def _contents(version: Submission) -> list[diffs.EntryContent]:
    """The version's entries as the differences compare them, in chronology order, read as plain values."""
    rows = version.entries.order_by("order_key").values_list(
        "order_key",
        "pk",
        "on",
        "at",
        "subject",
        "source_record",
        "practitioner_role",
        "event",
        "action_or_outcome",
        "risks",
    )
    contents = []
    for key, pk, on, at, subject, source_record, role, event, outcome, risks in rows.iterator(chunk_size=2_000):
        shown = Entry(on=on, at=at, subject=subject, risks=risks)
        contents.append(
            diffs.EntryContent(
                key=key,
                ref=pk,
                date=str(shown.date),
                time=clock(at),
                subject=shown.subject_label,
                source_record=source_record,
                practitioner_role=role,
                event=event,
                action_or_outcome=outcome,
                risk_indicators="; ".join(shown.risk_indicators),
            )
        )
    return contents


@verified()
def submission_diff(request: SignedInRequest, submission_id: int) -> HttpResponse:
    version = _version(request, submission_id)
    versions = visible_versions(request.user, version.request)
    others = [other for other in versions if other.pk != version.pk]
    against_number = request.GET.get("against")
    if against_number is None:
        against = _previous(version, versions)
        if against is None:
            return _page(request, "submission_diff", version, {"against": None, "others": others})
    else:
        against = next((other for other in others if str(other.number) == against_number), None)
        if against is None:
            raise Http404
    differences = diffs.compare(_contents(against), _contents(version))
    page = Paginator(differences.items, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "submission_diff",
        version,
        {
            "against": against,
            "others": others,
            "differences": differences,
            "page": page,
        },
    )


def _template_request(request: SignedInRequest, request_id: int) -> AgencyRequest:
    agency_request = access.access_request(request.user, request_id)
    if agency_request.kind != RequestKind.CHRONOLOGY:
        raise Http404
    return agency_request


def _download(content: bytes, content_type: str, agency_request: AgencyRequest, extension: str) -> HttpResponse:
    name = f"chronology-template-{slugify(agency_request.review.reference)}.{extension}"
    return attachment(content, content_type=content_type, file_name=name)


@verified()
def template_xlsx(request: SignedInRequest, request_id: int) -> HttpResponse:
    agency_request = _template_request(request, request_id)
    return _download(template.template_xlsx(settings.CHRONOLOGY_RISK_INDICATORS), XLSX, agency_request, "xlsx")


@verified()
def template_csv(request: SignedInRequest, request_id: int) -> HttpResponse:
    agency_request = _template_request(request, request_id)
    return _download(template.template_csv(), "text/csv; charset=utf-8", agency_request, "csv")


urlpatterns = [
    path("requests/<int:request_id>/chronology/start/", start_draft, name="start_draft"),
    path("requests/<int:request_id>/chronology/template.xlsx", template_xlsx, name="template_xlsx"),
    path("requests/<int:request_id>/chronology/template.csv", template_csv, name="template_csv"),
    path("submissions/<int:submission_id>/", submission, name="submission"),
    path("submissions/<int:submission_id>/entries/new/", entry_new, name="entry_new"),
    path("submissions/<int:submission_id>/entries/<int:entry_id>/edit/", entry_edit, name="entry_edit"),
    path("submissions/<int:submission_id>/entries/<int:entry_id>/delete/", entry_delete, name="entry_delete"),
    path("submissions/<int:submission_id>/submit/", submission_submit, name="submission_submit"),
    path("submissions/<int:submission_id>/return/", submission_return, name="submission_return"),
    path("submissions/<int:submission_id>/accept/", submission_accept, name="submission_accept"),
    path("submissions/<int:submission_id>/differences/", submission_diff, name="submission_diff"),
]
