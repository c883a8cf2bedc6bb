"""The reports page of a review: versions of the overview report and executive summary, the
starting draft, comment rounds, the family's copy and sign-off.

Every view fetches through an ``access_*`` fetcher (404 for anyone who does not read the review:
contributors, auditors, site administrators, other partnerships), then asks the predicates;
those who read the review but may not act (a panel member, except to comment) get 403. Actions
check access before the method (``post_only``), so a 404 never leaks through a 405.

An upload is read through the sharing app's encrypting upload handler (``sharing.views.documents``),
only after access and the secure space have been checked, so a refused file is never spooled.
"""

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.downloads import attachment
from dhr_tracker.forms import posted, submit
from dhr_tracker.reports import access, sections
from dhr_tracker.reports.forms.drafts import (
    ApprovalForm,
    CirculateForm,
    CommentForm,
    FamilyCopyForm,
    FamilyReturnForm,
    PanelAgreementForm,
    ResolveForm,
    VersionUploadForm,
    WithdrawForm,
)
from dhr_tracker.reports.models import (
    Comment,
    CommentRound,
    CommentStatus,
    FamilyCopy,
    ReportKind,
    ReportVersion,
    SignOffKind,
)
from dhr_tracker.reports.services import drafts as services
from dhr_tracker.reports.services import signoff as signoffs
from dhr_tracker.reports.startingdraft import file_name
from dhr_tracker.reports.views import join_space_url, post_only, report_page
from dhr_tracker.reviews.models import Review
from sharing import access as sharing_access
from sharing.forms import UploadForm
from sharing.integration import hooks
from sharing.uploads import SpooledUpload
from sharing.views.documents import receive_upload

SECTION = "reports:reports"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _page(
    request: SignedInRequest, template: str, review: Review, context: dict[str, Any], *, status: int | None = None
) -> HttpResponse:
    return report_page(request, template, review, SECTION, context, status=status)


def _kind(kind: str) -> ReportKind:
    if kind not in ReportKind.values:
        raise Http404
    return ReportKind(kind)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _openable(user: Any, review: Review) -> set[int]:
    """The ids of the review's documents ``user`` may open now."""
    if review.space is None:
        return set()
    return set(sharing_access.visible_documents(user, review.space).values_list("pk", flat=True))


# The reports page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KindBlock:
    kind: str
    label: str
    versions: list[ReportVersion]


def _blocks(review: Review) -> list[KindBlock]:
    versions = (
        ReportVersion.objects.filter(report__review=review)
        .select_related("report", "document_version", "added_by")
        .order_by("report__kind", "-number")
    )
    by_kind: dict[str, list[ReportVersion]] = {}
    for version in versions:
        by_kind.setdefault(version.report.kind, []).append(version)
    return [KindBlock(kind.value, kind.label, by_kind.get(kind.value, [])) for kind in ReportKind]


def _withdraw_forms(user: Any, review: Review, failed: tuple[int, forms.Form] | None) -> dict[str, Any]:
    live = signoffs.live_signoffs(review)
    rows = []
    for kind in (SignOffKind.PANEL, SignOffKind.CSP):
        signoff = live.get(kind)
        if signoff is None:
            continue
        form = None
        if access.can_withdraw_signoff(user, signoff):
            form = failed[1] if failed and failed[0] == signoff.pk else WithdrawForm(prefix=f"withdraw-{signoff.pk}")
        rows.append((signoff, form))
    return {"live_signoffs": rows, "panel_agreed": SignOffKind.PANEL in live, "csp_approved": SignOffKind.CSP in live}


def _reports_page(
    request: SignedInRequest, review: Review, *, failed: tuple[int, forms.Form] | None = None
) -> HttpResponse:
    user = request.user
    can_draft = access.can_draft(user, review)
    rounds = (
        CommentRound.objects.filter(version__report__review=review, closed_at__isnull=True)
        .select_related("version__report")
        .annotate(open_comments=Count("comments", filter=Q(comments__status=CommentStatus.OPEN)))
        .order_by("due_on")
    )
    copies = (
        FamilyCopy.objects.filter(version__report__review=review)
        .select_related("version__report", "member")
        .order_by("-shared_on", "-recorded_at")
    )
    context = {
        "blocks": _blocks(review),
        "openable": _openable(user, review),
        "open_rounds": list(rounds),
        "family_copies": list(copies),
        "can_draft": can_draft,
        "upload_refusal": services.upload_refusal(review, user) if can_draft else None,
        "join_url": join_space_url(user, review),
        "can_record_panel_agreement": access.can_record_panel_agreement(user, review),
        "can_approve": access.can_approve(user, review),
        "form": failed[1] if failed else None,
        **_withdraw_forms(user, review, failed),
    }
    return _page(request, "reports/drafts_reports.html", review, context, status=400 if failed else None)


@verified()
def reports(request: SignedInRequest, review_id: int) -> HttpResponse:
    """The review's reports, their versions, open rounds, the family's copies and sign-off."""
    review = access.access_review(request.user, review_id)
    return _reports_page(request, review)


@verified()
def starting_draft(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Download the starting draft of the overview report (or, with ``?kind=summary``, the executive summary)."""
    review = access.access_review(request.user, review_id)
    kind = _kind(request.GET.get("kind", ReportKind.OVERVIEW))
    _require(access.can_draft(request.user, review))
    draft = services.export_starting_draft(review, actor=request.user, kind=kind, request=request)
    return attachment(draft.content, content_type=DOCX, file_name=file_name(review, kind))


@csrf_exempt  # The body is read through the encrypting handler first; receive_upload then checks CSRF.
@verified()
def version_upload(request: SignedInRequest, review_id: int, kind: str) -> HttpResponse:
    """Upload a new version of the report to the review's secure space, with a note."""
    review = access.access_review(request.user, review_id)
    report_kind = _kind(kind)
    _require(access.can_draft(request.user, review))
    context: dict[str, Any] = {"kind": report_kind}
    refusal = services.upload_refusal(review, request.user)
    if refusal is not None:
        # Refused unread: nothing of the file is spooled.
        context["refusal"] = refusal
        context["join_url"] = join_space_url(request.user, review)
        return _page(
            request, "reports/drafts_upload.html", review, context, status=400 if request.method == "POST" else 200
        )
    document = services.document_to_extend(review, report_kind, request.user)
    if document is not None and not sharing_access.second_factor_fresh_for(document, hooks().second_factor_at(request)):
        return cast(HttpResponse, hooks().ask_second_factor(request))

    def page(form: UploadForm, status: int) -> HttpResponse:
        return _page(request, "reports/drafts_upload.html", review, {**context, "form": form}, status=status)

    def accept(form: UploadForm, upload: SpooledUpload) -> HttpResponse:
        services.add_report_version(
            review,
            actor=request.user,
            kind=report_kind,
            note=form.cleaned_data["note"],
            upload=upload,
            request=request,
        )
        return redirect("reports:reports", review_id=review.pk)

    if request.method != "POST":
        return page(VersionUploadForm(), 200)
    response: HttpResponseBase = receive_upload(request, VersionUploadForm, page, accept)
    return cast(HttpResponse, response)


# A version and its rounds ---------------------------------------------------------------------


def _version_page(
    request: SignedInRequest,
    version: ReportVersion,
    *,
    circulate_form: forms.Form | None = None,
    copy_form: forms.Form | None = None,
    failed_return: tuple[int, forms.Form] | None = None,
) -> HttpResponse:
    user = request.user
    review = version.report.review
    can_draft = access.can_draft(user, review)
    rounds = version.rounds.select_related("circulated_by", "closed_by").annotate(
        open_comments=Count("comments", filter=Q(comments__status=CommentStatus.OPEN))
    )
    copies = list(version.family_copies.select_related("member", "recorded_by"))
    open_round = next((r for r in rounds if r.closed_at is None), None)
    if can_draft:
        circulate_form = circulate_form or CirculateForm()
        copy_form = copy_form or FamilyCopyForm(members=services.family_choices(review))
    return_forms = {
        copy.pk: (
            failed_return[1]
            if failed_return and failed_return[0] == copy.pk
            else FamilyReturnForm(prefix=f"return-{copy.pk}")
        )
        for copy in copies
        if can_draft and copy.returned_on is None
    }
    failed = circulate_form if circulate_form is not None and circulate_form.errors else None
    failed = failed or (copy_form if copy_form is not None and copy_form.errors else None)
    failed = failed or (failed_return[1] if failed_return else None)
    context = {
        "version": version,
        "can_open": version.document_version.document_id in _openable(user, review),
        "rounds": list(rounds),
        "open_round": open_round,
        "copies": [(copy, return_forms.get(copy.pk)) for copy in copies],
        "can_draft": can_draft,
        "circulate_form": circulate_form if can_draft and open_round is None else None,
        "copy_form": copy_form,
        "form": failed,
    }
    return _page(request, "reports/drafts_version.html", review, context)


@verified()
def version(request: SignedInRequest, version_id: int) -> HttpResponse:
    """One version: its document, its comment rounds and the family's copies."""
    found = access.access_version(request.user, version_id)
    return _version_page(request, found)


def _for_drafting(request: SignedInRequest, version_id: int) -> ReportVersion:
    found = access.access_version(request.user, version_id)
    _require(access.can_draft(request.user, found.report.review))
    return found


@verified()
def circulate(request: SignedInRequest, version_id: int) -> HttpResponse:
    """Open a comment round on the version, due by a date, and give the panel access to it."""
    found = _for_drafting(request, version_id)
    if (refusal := post_only(request)) is not None:
        return refusal
    form = CirculateForm(request.POST)
    opened = submit(
        form,
        lambda data: services.circulate_version(
            found, actor=request.user, due_on=data["due_on"], message=data["message"], request=request
        ),
    )
    if opened is not None:
        return redirect("reports:round", round_id=opened.pk)
    return _version_page(request, found, circulate_form=form)


def _round_page(
    request: SignedInRequest,
    comment_round: CommentRound,
    *,
    comment_form: forms.Form | None = None,
    failed_resolve: tuple[int, forms.Form] | None = None,
    close_form: forms.Form | None = None,
) -> HttpResponse:
    user = request.user
    version = comment_round.version
    kind = version.report.kind
    comments = list(comment_round.comments.select_related("author", "resolved_by").order_by("created_at"))
    can_resolve = access.can_draft(user, version.report.review)
    grouped: list[tuple[str, list[tuple[Comment, forms.Form | None]]]] = []
    for key, label in sections.comment_choices(kind):
        rows = [
            (
                comment,
                (
                    failed_resolve[1]
                    if failed_resolve and failed_resolve[0] == comment.pk
                    else ResolveForm(prefix=f"resolve-{comment.pk}")
                )
                if can_resolve
                else None,
            )
            for comment in comments
            if comment.section == key
        ]
        if rows:
            grouped.append((label, rows))
    known = dict(sections.comment_choices(kind))
    stray: list[tuple[Comment, forms.Form | None]] = [
        (comment, None) for comment in comments if comment.section not in known
    ]
    if stray:
        grouped.append(("Other", stray))
    can_comment = access.can_comment(user, comment_round)
    if can_comment and comment_form is None:
        comment_form = CommentForm(choices=sections.comment_choices(kind))
    failed = comment_form if comment_form is not None and comment_form.errors else None
    context = {
        "round": comment_round,
        "version": version,
        "grouped": grouped,
        "open_count": sum(1 for comment in comments if comment.status == CommentStatus.OPEN),
        "comment_form": comment_form if can_comment else None,
        "can_close": can_resolve and comment_round.closed_at is None,
        "readers": services.readers(version) if can_resolve else [],
        "form": failed or (failed_resolve[1] if failed_resolve else None) or close_form,
    }
    return _page(request, "reports/drafts_round.html", version.report.review, context)


@verified()
def comment_round(request: SignedInRequest, round_id: int) -> HttpResponse:
    """The round: the version, the due date, comments by section and the chair's responses."""
    found = access.access_round(request.user, round_id)
    return _round_page(request, found)


@verified()
def comment_add(request: SignedInRequest, round_id: int) -> HttpResponse:
    """A comment on one section of the circulated version."""
    found = access.access_round(request.user, round_id)
    _require(access.can_comment(request.user, found))
    if (refusal := post_only(request)) is not None:
        return refusal
    form = CommentForm(request.POST, choices=sections.comment_choices(found.version.report.kind))
    added = submit(
        form,
        lambda data: services.add_comment(
            found, actor=request.user, section=data["section"], text=data["text"], request=request
        ),
    )
    if added is not None:
        return redirect("reports:round", round_id=found.pk)
    return _round_page(request, found, comment_form=form)


@verified()
def comment_resolve(request: SignedInRequest, comment_id: int) -> HttpResponse:
    """The chair marks a comment resolved, or not taken up with the reason."""
    found: Comment = access.access_comment(request.user, comment_id)
    _require(access.can_resolve(request.user, found))
    if (refusal := post_only(request)) is not None:
        return refusal
    form = ResolveForm(request.POST, prefix=f"resolve-{found.pk}")
    resolved = submit(
        form,
        lambda data: services.resolve_comment(
            found, actor=request.user, status=data["status"], response=data["response"], request=request
        ),
    )
    if resolved is not None:
        return redirect("reports:round", round_id=found.round_id)
    return _round_page(request, found.round, failed_resolve=(found.pk, form))


@verified()
def round_close(request: SignedInRequest, round_id: int) -> HttpResponse:
    """Close the round to further comments; its page then says how many comments remain open."""
    found = access.access_round(request.user, round_id)
    _require(access.can_draft(request.user, found.version.report.review))
    if (refusal := post_only(request)) is not None:
        return refusal
    form = forms.Form(request.POST)
    closed = submit(form, lambda data: services.close_round(found, actor=request.user, request=request))
    if closed is not None:
        return redirect("reports:round", round_id=found.pk)
    return _round_page(request, found, close_form=form)


# The family's copy ----------------------------------------------------------------------------


@verified()
def family_copy_add(request: SignedInRequest, version_id: int) -> HttpResponse:
    """Record that the version was shared with the family."""
    found = _for_drafting(request, version_id)
    if (refusal := post_only(request)) is not None:
        return refusal
    form = FamilyCopyForm(request.POST, members=services.family_choices(found.report.review))
    added = submit(
        form,
        lambda data: services.record_family_copy(
            found, actor=request.user, member_id=data["member"], shared_on=data["shared_on"], request=request
        ),
    )
    if added is not None:
        return redirect("reports:version", version_id=found.pk)
    return _version_page(request, found, copy_form=form)


@verified()
def family_copy_return(request: SignedInRequest, copy_id: int) -> HttpResponse:
    """Record the family's return of their copy, and their response."""
    found = access.access_family_copy(request.user, copy_id)
    _require(access.can_draft(request.user, found.version.report.review))
    if (refusal := post_only(request)) is not None:
        return refusal
    form = FamilyReturnForm(request.POST, prefix=f"return-{found.pk}")
    returned = submit(
        form,
        lambda data: services.record_family_return(
            found, actor=request.user, returned_on=data["returned_on"], response=data["response"], request=request
        ),
    )
    if returned is not None:
        return redirect("reports:version", version_id=found.version_id)
    return _version_page(request, found.version, failed_return=(found.pk, form))


# Sign-off -------------------------------------------------------------------------------------


def _signoff_context(review: Review) -> dict[str, Any]:
    overview, summary = signoffs.latest_versions(review)
    return {"overview": overview, "summary": summary, "live": signoffs.live_signoffs(review)}


@verified()
def panel_agreement(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Record the panel's agreement to the latest versions."""
    review = access.access_review(request.user, review_id)
    _require(access.can_record_panel_agreement(request.user, review))
    form = PanelAgreementForm(
        posted(request),
        people=signoffs.spokesperson_choices(review),
        initial={"signed_on": timezone.localdate()},
    )
    agreed = submit(
        form,
        lambda data: signoffs.record_panel_agreement(
            review,
            actor=request.user,
            signed_on=data["signed_on"],
            person_id=data["person"],
            note=data["note"],
            request=request,
        ),
    )
    if agreed is not None:
        return redirect("reports:reports", review_id=review.pk)
    return _page(request, "reports/drafts_panel_agreement.html", review, {"form": form, **_signoff_context(review)})


@verified()
def csp_approval(request: SignedInRequest, review_id: int) -> HttpResponse:
    """The CSP chair approves the latest versions the panel agreed."""
    review = access.access_review(request.user, review_id)
    _require(access.can_approve(request.user, review))
    shown = _signoff_context(review)
    initial = {
        "signed_on": timezone.localdate(),
        "overview": shown["overview"].pk if shown["overview"] else None,
        "summary": shown["summary"].pk if shown["summary"] else None,
    }
    form = ApprovalForm(posted(request), initial=initial)
    approved = submit(
        form,
        lambda data: signoffs.approve_report(
            review,
            actor=request.user,
            overview_id=data["overview"],
            summary_id=data["summary"],
            signed_on=data["signed_on"],
            note=data["note"],
            request=request,
        ),
    )
    if approved is not None:
        return redirect("reports:reports", review_id=review.pk)
    return _page(request, "reports/drafts_csp_approval.html", review, {"form": form, **shown})


@verified()
def signoff_withdraw(request: SignedInRequest, signoff_id: int) -> HttpResponse:
    """Withdraw a live sign-off with a reason; the panel's agreement takes the CSP chair's approval with it."""
    found = access.access_signoff(request.user, signoff_id)
    _require(access.can_withdraw_signoff(request.user, found))
    if (refusal := post_only(request)) is not None:
        return refusal
    form = WithdrawForm(request.POST, prefix=f"withdraw-{found.pk}")
    withdrawn = submit(
        form, lambda data: signoffs.withdraw_signoff(found, actor=request.user, reason=data["reason"], request=request)
    )
    if withdrawn is not None:
        return redirect("reports:reports", review_id=found.review_id)
    return _reports_page(request, found.review, failed=(found.pk, form))


urlpatterns = [
    path("reviews/<int:review_id>/reports/", reports, name="reports"),
    path("reviews/<int:review_id>/reports/starting-draft/", starting_draft, name="starting_draft"),
    path("reviews/<int:review_id>/reports/<str:kind>/upload/", version_upload, name="version_upload"),
    path("reviews/<int:review_id>/reports/panel-agreement/", panel_agreement, name="panel_agreement"),
    path("reviews/<int:review_id>/reports/csp-approval/", csp_approval, name="csp_approval"),
    path("report-versions/<int:version_id>/", version, name="version"),
    path("report-versions/<int:version_id>/circulate/", circulate, name="circulate"),
    path("report-versions/<int:version_id>/family-copies/", family_copy_add, name="family_copy_add"),
    path("report-rounds/<int:round_id>/", comment_round, name="round"),
    path("report-rounds/<int:round_id>/comments/", comment_add, name="comment_add"),
    path("report-rounds/<int:round_id>/close/", round_close, name="round_close"),
    path("report-comments/<int:comment_id>/resolve/", comment_resolve, name="comment_resolve"),
    path("family-copies/<int:copy_id>/return/", family_copy_return, name="family_copy_return"),
    path("sign-offs/<int:signoff_id>/withdraw/", signoff_withdraw, name="signoff_withdraw"),
]
