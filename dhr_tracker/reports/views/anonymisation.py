"""The anonymisation check: the pseudonym register, candidate uploads, their hits and the override.

The register shows pseudonyms, kinds and counts; a value only through the audited reveal in sudo
mode. A candidate's page shows what the check found, in context, to those who run the check
(audited); the found text is marked with ``<mark>`` around escaped text, never marked safe. The
upload is read into memory only (``InMemoryUpload``, as the chronology import), after access and
the declared size are checked.
"""

from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from dhr_tracker.accounts.rules import SignedInRequest, sudo_required, verified
from dhr_tracker.chronologies.spreadsheets import format_size
from dhr_tracker.chronologies.views.imports import UPLOAD_OVERHEAD, InMemoryUpload, csrf_checked
from dhr_tracker.forms import posted, submit
from dhr_tracker.reports import access
from dhr_tracker.reports.forms.anonymisation import CandidateForm, OverrideForm, RegisterAddForm, ResolveForm
from dhr_tracker.reports.models import (
    Candidate,
    CandidateStatus,
    Hit,
    HitResolution,
    KnownIdentifier,
    PublicationItemKind,
)
from dhr_tracker.reports.services import candidates as services
from dhr_tracker.reports.services import register
from dhr_tracker.reports.views import post_only, report_page
from dhr_tracker.reviews.models import Review

SECTION = "reports:publication"


def _for_register(request: SignedInRequest, review_id: int) -> Review:
    review = access.access_review(request.user, review_id)
    if not access.can_keep_register(request.user, review):
        raise PermissionDenied
    return review


def _entry(request: SignedInRequest, entry_id: int) -> KnownIdentifier:
    """A register entry, for those who keep the register: 404 for who cannot see the review, 403 for the rest."""
    entry = KnownIdentifier.objects.select_related("review__partnership").filter(pk=entry_id).first()
    if entry is None or not access.reads_review(request.user, entry.review):
        raise Http404
    if not access.can_keep_register(request.user, entry.review):
        raise PermissionDenied
    return entry


@verified()
def register_page(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = _for_register(request, review_id)
    return report_page(
        request, "reports/anonymisation_register.html", review, SECTION, {"rows": register.register_rows(review)}
    )


@verified()
def register_add(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = _for_register(request, review_id)
    form = RegisterAddForm(posted(request), pseudonyms=register.pseudonym_choices(review))
    added = submit(
        form,
        lambda data: register.add_identifier(
            review,
            actor=request.user,
            kind=data["kind"],
            pseudonym=data["pseudonym"],
            value=data["value"],
            request=request,
        ),
    )
    if added is not None:
        return redirect("reports:register", review_id=review.pk)
    return report_page(request, "reports/anonymisation_register_add.html", review, SECTION, {"form": form})


@verified()
def register_reveal(request: SignedInRequest, entry_id: int) -> HttpResponse:
    """Refuse who may not reveal before asking anyone for a fresh second factor."""
    return _reveal(request, _entry(request, entry_id))


@sudo_required
def _reveal(request: SignedInRequest, entry: KnownIdentifier) -> HttpResponse:
    value = register.reveal_identifier(entry, actor=request.user, request=request)
    return report_page(
        request, "reports/anonymisation_register_reveal.html", entry.review, SECTION, {"entry": entry, "value": value}
    )


@verified()
def register_remove(request: SignedInRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    refused = post_only(request)
    if refused is not None:
        return refused
    register.remove_identifier(entry, actor=request.user, request=request)
    return redirect("reports:register", review_id=entry.review_id)


# Candidate publications -----------------------------------------------------------------------


def _upload_page(
    request: HttpRequest, review: Review, item: str, form: CandidateForm, *, status: int | None = None
) -> HttpResponse:
    context = {"form": form, "item": item, "item_label": PublicationItemKind(item).label}
    return report_page(request, "reports/anonymisation_upload.html", review, SECTION, context, status=status)


def _candidate_form(data: Any = None, files: Any = None) -> CandidateForm:
    return CandidateForm(data, files, max_size=format_size(settings.REPORT_MAX_PUBLICATION_BYTES))


@csrf_checked
def _receive(request: SignedInRequest, review: Review, item: str) -> HttpResponse:
    """Read the upload into memory, checked against CSRF, and check it at once."""
    form = _candidate_form(request.POST, request.FILES)

    def check(data: dict[str, Any]) -> Candidate:
        upload = data["file"]
        return services.upload_candidate(
            review, actor=request.user, item=item, content=upload.read(), file_name=upload.name or "", request=request
        )

    candidate = submit(form, check)
    if candidate is not None:
        return redirect("reports:candidate", candidate_id=candidate.pk)
    return _upload_page(request, review, item, form)


@csrf_exempt  # The body is read by InMemoryUpload only, after access is checked; _receive then checks CSRF.
@verified()
def candidate_upload(request: SignedInRequest, review_id: int, item: str) -> HttpResponse:
    review = access.access_review(request.user, review_id)
    if item not in PublicationItemKind.values:
        raise Http404
    if not access.can_check(request.user, review):
        raise PermissionDenied
    if request.method != "POST":
        return _upload_page(request, review, item, _candidate_form())
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if (
        not (declared.isascii() and declared.isdigit())
        or int(declared) > settings.REPORT_MAX_PUBLICATION_BYTES + UPLOAD_OVERHEAD
    ):
        # Refused unread: the size is all there is to report.
        form = _candidate_form(data={})
        form.errors.clear()
        form.add_error("file", services.too_large_message())
        return _upload_page(request, review, item, form, status=413)
    request.upload_handlers = [InMemoryUpload(request)]
    # The CSRF decorator is typed as returning any response; _receive returns a page or a redirect.
    return cast(HttpResponse, _receive(request, review, item))


def _candidate_page(
    request: SignedInRequest,
    candidate: Candidate,
    *,
    failed: tuple[int, ResolveForm] | None = None,
) -> HttpResponse:
    review = candidate.review
    user = request.user
    checks = access.can_check(user, review)
    live = candidate.superseded_at is None
    hits = services.reveal_hits(candidate, actor=user, request=request) if checks else services.hidden_hits(candidate)
    resolving = checks and live
    forms = {hit.pk: ResolveForm(prefix=f"hit-{hit.pk}") for hit in candidate.hits.all()} if resolving else {}
    if failed is not None:
        forms[failed[0]] = failed[1]
    rows = [{"shown": row, "form": forms.get(row.hit.pk)} for row in hits]
    context = {
        "candidate": candidate,
        "rows": rows,
        "revealed": checks,
        "live": live,
        "can_upload": checks,
        "can_override": live and access.can_override(user, review) and candidate.status != CandidateStatus.UNREADABLE,
        "form": failed[1] if failed else None,
    }
    return report_page(
        request,
        "reports/anonymisation_candidate.html",
        review,
        SECTION,
        context,
        status=400 if failed else None,
    )


@verified()
def candidate(request: SignedInRequest, candidate_id: int) -> HttpResponse:
    return _candidate_page(request, access.access_candidate(request.user, candidate_id))


@verified()
def hit_resolve(request: SignedInRequest, hit_id: int) -> HttpResponse:
    hit = Hit.objects.select_related("candidate__review__partnership").filter(pk=hit_id).first()
    if hit is None or not access.reads_review(request.user, hit.candidate.review):
        raise Http404
    if not access.can_check(request.user, hit.candidate.review):
        raise PermissionDenied
    refused = post_only(request)
    if refused is not None:
        return refused
    form = ResolveForm(request.POST, prefix=f"hit-{hit.pk}")
    resolved = submit(
        form,
        lambda data: services.resolve_hit(
            hit, actor=request.user, resolution=data["resolution"], note=data["note"], request=request
        ),
    )
    if resolved is not None:
        return redirect("reports:candidate", candidate_id=hit.candidate_id)
    return _candidate_page(request, hit.candidate, failed=(hit.pk, form))


@verified()
def candidate_override(request: SignedInRequest, candidate_id: int) -> HttpResponse:
    """Refuse who may not override before asking anyone for a fresh second factor."""
    found = access.access_candidate(request.user, candidate_id)
    if not access.can_override(request.user, found.review):
        raise PermissionDenied
    return _override(request, found)


@sudo_required
def _override(request: SignedInRequest, found: Candidate) -> HttpResponse:
    form = OverrideForm(posted(request))
    done = submit(
        form,
        lambda data: services.override_candidate(found, actor=request.user, reason=data["reason"], request=request),
    )
    if done is not None:
        return redirect("reports:candidate", candidate_id=found.pk)
    open_hits = found.hits.filter(resolution=HitResolution.OPEN).count()
    return report_page(
        request,
        "reports/anonymisation_override.html",
        found.review,
        SECTION,
        {"form": form, "candidate": found, "open_hits": open_hits},
    )


urlpatterns = [
    path("reviews/<int:review_id>/pseudonym-register/", register_page, name="register"),
    path("reviews/<int:review_id>/pseudonym-register/add/", register_add, name="register_add"),
    path("pseudonym-register/<int:entry_id>/", register_reveal, name="register_reveal"),
    path("pseudonym-register/<int:entry_id>/remove/", register_remove, name="register_remove"),
    path("reviews/<int:review_id>/publication/<str:item>/upload/", candidate_upload, name="candidate_upload"),
    path("candidates/<int:candidate_id>/", candidate, name="candidate"),
    path("candidates/<int:candidate_id>/override/", candidate_override, name="candidate_override"),
    path("anonymisation-hits/<int:hit_id>/resolve/", hit_resolve, name="hit_resolve"),
]
