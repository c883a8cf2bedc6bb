"""Pages for documents: upload, versions, sharing, downloads, legal holds.

Uploads are read through ``sharing.uploads`` (encrypted as they arrive) only after access has
been checked, so a refused user's file is never spooled. Downloads stream and decrypt chunk by
chunk; the last piece is released only once the whole object, its final-chunk flag and the
plaintext's SHA-256 receipt have been checked, so a truncated or altered object never reaches
the user complete.
"""

import functools
import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import UnreadablePostError
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import decorator_from_middleware
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sharing import access, config, objects
from sharing.crypto import IntegrityError, RandomAccessReader, decrypt_chunks
from sharing.forms import DocumentForm, GrantForm, ReasonForm, UploadForm
from sharing.integration import hooks
from sharing.keys import KeyUnavailable, UnwrapFailed, WrappedKey
from sharing.models import Document, DocumentVersion, Grant, SpaceMember, VersionStatus
from sharing.services import documents as services
from sharing.sniffing import ALLOWED, content_disposition, describe_size
from sharing.uploads import EncryptingUploadHandler, SpooledUpload, parse_upload
from sharing.views import fresh_second_factor, posted, signed_in_view, status_for, submit
from sharing.watermark import WatermarkFailed, watermark_pdf

# Form fields and the multipart framing around the file; more than this over the limit is refused unread.
UPLOAD_OVERHEAD = 1024**2
INTEGRITY_MESSAGE = (
    "This document failed its integrity check: the stored copy has been altered or damaged, so it "
    "will not be sent. The failure has been recorded. Ask the agency that shared it to upload it again"
)
UNAVAILABLE_MESSAGE = (
    "The document service cannot reach its storage or key service just now. Try again in a few minutes"
)


@functools.cache
def _csrf_middleware() -> type[CsrfViewMiddleware]:
    """The project's CSRF middleware (a subclass of Django's), to check uploads after reading them."""
    for path in settings.MIDDLEWARE:
        candidate = import_string(path)
        if isinstance(candidate, type) and issubclass(candidate, CsrfViewMiddleware):
            return candidate
    return CsrfViewMiddleware


def _problem(request: HttpRequest, message: str, *, status: int, title: str) -> HttpResponse:
    return render(request, "sharing/problem.html", {"message": message, "title": title}, status=status)


def _end_of_day(day: Any) -> datetime | None:
    """A "last day of access" ends at midnight after it, local time."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# Uploads ----------------------------------------------------------------------------------------


def receive_upload(
    request: HttpRequest,
    form_class: type[UploadForm],
    page: Callable[[UploadForm, int], HttpResponse],
    accept: Callable[[UploadForm, SpooledUpload], Any],
) -> HttpResponseBase:
    """Read an upload through the encrypting handler, check CSRF, then ``accept`` it or show errors.

    Whatever the outcome, the spool holds nothing of this request afterwards unless a committed
    version took it over.
    """
    limit = settings.SHARING_MAX_UPLOAD_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isascii() and declared.isdigit() and int(declared) > limit + UPLOAD_OVERHEAD:
        # The body stays unread, so the size is the only thing to report.
        form = form_class(data={})
        form.errors.clear()
        form.add_error("file", f"The file must be smaller than {describe_size(limit)}")
        return page(form, 413)
    handler = EncryptingUploadHandler(
        request, field_name="file", max_size=limit, provider=config.key_provider(), spool_dir=config.spool_dir()
    )
    try:
        try:
            parse_upload(request, handler)
        except (MultiPartParserError, UnreadablePostError):
            return _problem(
                request,
                "The upload was interrupted before it finished. Nothing was stored. Try again",
                status=400,
                title="The upload did not finish",
            )

        @decorator_from_middleware(_csrf_middleware())
        def checked(request: HttpRequest) -> HttpResponseBase:
            form = form_class(request.POST)
            upload = handler.upload
            if handler.refusal:
                form.add_error("file", handler.refusal)
            elif upload is None:
                form.add_error("file", "Select a file")
            if form.is_valid() and upload is not None:
                result: HttpResponseBase | None = submit(form, lambda: accept(form, upload))
                if result is not None:
                    return result
            return page(form, 400)

        return checked(request)
    finally:
        handler.discard()


@csrf_exempt  # The body is read through the encrypting handler first; receive_upload then checks CSRF.
@signed_in_view
def document_upload(request: HttpRequest, space_id: int) -> HttpResponseBase:
    space = access.access_space(request.user, space_id, for_write=False)
    if not access.can_upload(request.user, space):
        return _problem(
            request,
            "You can upload documents only as a member of this space, while its protocol is in force.",
            status=403,
            title="You cannot upload documents here",
        )
    member = access.current_member(request.user, space)

    def page(form: UploadForm, status: int) -> HttpResponse:
        context = {"form": form, "space": space, "member": member, "max_size": settings.SHARING_MAX_UPLOAD_BYTES}
        return render(request, "sharing/document_upload.html", context, status=status)

    def accept(form: UploadForm, upload: SpooledUpload) -> HttpResponse:
        data = form.cleaned_data
        fields = services.DocumentFields(
            title=data["title"],
            description=data["description"],
            classification=data["classification"],
            access_expires_at=_end_of_day(data["access_ends_on"]),
        )
        document = services.upload_document(space, actor=request.user, fields=fields, upload=upload, request=request)
        return redirect("sharing:document", document_id=document.pk)

    if request.method != "POST":
        return page(DocumentForm(initial={"classification": space.protocol.max_classification}), 200)
    return receive_upload(request, DocumentForm, page, accept)


@csrf_exempt  # As document_upload.
@signed_in_view
def version_upload(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = access.access_document(request.user, document_id, for_write=True)
    if not access.second_factor_fresh_for(document, hooks().second_factor_at(request)):
        return hooks().ask_second_factor(request)

    def page(form: UploadForm, status: int) -> HttpResponse:
        context = {"form": form, "document": document, "max_size": settings.SHARING_MAX_UPLOAD_BYTES}
        return render(request, "sharing/version_upload.html", context, status=status)

    def accept(form: UploadForm, upload: SpooledUpload) -> HttpResponse:
        services.add_version(document, actor=request.user, upload=upload, request=request)
        return redirect("sharing:document", document_id=document.pk)

    if request.method != "POST":
        return page(UploadForm(), 200)
    return receive_upload(request, UploadForm, page, accept)


# Reading ----------------------------------------------------------------------------------------


def _grantee_choices(document: Document) -> list[tuple[str, list[tuple[str, str]]]]:
    members = (
        SpaceMember.objects.current()
        .filter(space=document.space)
        .exclude(party_id=document.owner_party_id)
        .select_related("user", "party")
        .order_by("party__name", "user__full_name")
    )
    parties = document.space.protocol.parties.exclude(party_id=document.owner_party_id).select_related("party")
    return [
        ("Agencies (every member acting for them)", [(f"party:{p.party_id}", str(p.party)) for p in parties]),
        ("People", [(f"user:{m.user_id}", f"{m.user.get_full_name()} ({m.party})") for m in members]),
    ]


@signed_in_view
def document_detail(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = access.access_document(request.user, document_id, for_write=False)
    if not access.second_factor_fresh_for(document, hooks().second_factor_at(request)):
        return hooks().ask_second_factor(request)
    owner = access.acts_for_owner(request.user, document)
    grants = Grant.objects.live().filter(document=document).select_related("user", "party") if owner else []
    return render(
        request,
        "sharing/document_detail.html",
        {
            "document": document,
            "versions": document.versions.select_related("uploaded_by"),
            "owner": owner,
            "grants": grants,
            "grant_form": GrantForm(choices=_grantee_choices(document)) if owner else None,
        },
    )


def _verified_plaintext(
    version: DocumentVersion, data_key: bytes, on_failure: Callable[[str], None]
) -> Iterator[bytes]:
    """Decrypt the stored object piece by piece, holding back the last piece until all is checked."""
    digest = hashlib.sha256()
    held: bytes | None = None
    try:
        for piece in decrypt_chunks(data_key, version.id, objects.read(version.object_name)):
            digest.update(piece)
            if held is not None:
                yield held
            held = piece
        if digest.hexdigest() != version.sha256:
            raise IntegrityError("the plaintext does not match the SHA-256 recorded at upload")
    except IntegrityError as failure:
        on_failure(str(failure))
        raise
    if held is not None:
        yield held


@signed_in_view
def version_download(request: HttpRequest, document_id: int, version_id: str) -> HttpResponseBase:
    document = access.access_document(request.user, document_id, for_write=False)
    if not access.second_factor_fresh_for(document, hooks().second_factor_at(request)):
        return hooks().ask_second_factor(request)
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document__space__protocol"), pk=version_id, document=document
    )
    if version.status != VersionStatus.AVAILABLE:
        return _problem(
            request,
            f"Version {version.number} cannot be downloaded: {version.get_status_display().lower()}.",
            status=409,
            title="This version is not available",
        )

    def failed(detail: str) -> None:
        services.report_integrity_failure(version, actor=request.user, detail=detail, request=request)

    watermarked = request.GET.get("watermark") == "1" and version.file_type == "pdf"
    try:
        data_key = config.key_provider().unwrap(WrappedKey.from_text(version.wrapped_key), str(version.id))
        if watermarked:
            return _watermarked(request, version, data_key, failed)
        stream = _verified_plaintext(version, data_key, failed)
        first = next(stream)
    except UnwrapFailed as exc:
        failed(f"the wrapped data key does not authenticate: {exc}")
        return _problem(request, INTEGRITY_MESSAGE, status=500, title="This document failed its integrity check")
    except IntegrityError:
        return _problem(request, INTEGRITY_MESSAGE, status=500, title="This document failed its integrity check")
    except (KeyUnavailable, objects.StorageUnavailable):
        return _problem(request, UNAVAILABLE_MESSAGE, status=503, title="Sorry, the document cannot be sent now")
    services.record_download(version, actor=request.user, watermarked=False, request=request)
    response = StreamingHttpResponse(_prepend(first, stream), content_type=ALLOWED[version.file_type].mime)
    response["Content-Length"] = str(version.size)
    return _attachment(response, version.file_name)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _attachment(response: HttpResponseBase, file_name: str) -> HttpResponseBase:
    response["Content-Disposition"] = content_disposition(file_name)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _watermarked(
    request: HttpRequest, version: DocumentVersion, data_key: bytes, failed: Callable[[str], None]
) -> HttpResponseBase:
    """A PDF stamped with who downloaded it, for whom and when (built in memory: PDFs are capped)."""
    user: Any = request.user
    member = access.current_member(user, version.document.space)
    stamp = timezone.localtime().strftime("%d %B %Y %H:%M %Z")
    lines = [
        f"Shared with {user.get_full_name()} ({user.get_username()})",
        f"{member.party if member else ''}, {stamp}",
    ]
    try:
        with RandomAccessReader(data_key, version.id, objects.open_seekable(version.object_name)) as source:
            pdf = watermark_pdf(source, lines)  # type: ignore[arg-type]
    except IntegrityError as exc:
        failed(str(exc))
        return _problem(request, INTEGRITY_MESSAGE, status=500, title="This document failed its integrity check")
    except WatermarkFailed as exc:
        return _problem(
            request,
            f"A watermarked copy could not be made: {exc} Download the document without a watermark instead.",
            status=422,
            title="The watermark could not be added",
        )
    services.record_download(version, actor=request.user, watermarked=True, request=request)
    stem = version.file_name.removesuffix(".pdf")
    return _attachment(HttpResponse(pdf, content_type="application/pdf"), f"{stem} (watermarked).pdf")


# Grants -----------------------------------------------------------------------------------------


@signed_in_view
@require_POST
def grant_add(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = access.access_document(request.user, document_id, for_write=True)
    if not access.second_factor_fresh_for(document, hooks().second_factor_at(request)):
        return hooks().ask_second_factor(request)
    form = GrantForm(request.POST, choices=_grantee_choices(document))
    if form.is_valid():
        kind, _, pk = form.cleaned_data["grantee"].partition(":")
        target = {"user_id": int(pk)} if kind == "user" else {"party_id": int(pk)}
        granted = submit(
            form,
            lambda: services.grant_access(
                document,
                actor=request.user,
                expires_at=_end_of_day(form.cleaned_data["expires_on"]),
                request=request,
                **target,
            ),
        )
        if granted is not None:
            return redirect("sharing:document", document_id=document.pk)
    return render(request, "sharing/grant_add.html", {"form": form, "document": document}, status=status_for(form))


@signed_in_view
@require_POST
def grant_revoke(request: HttpRequest, document_id: int, grant_id: int) -> HttpResponse:
    document = access.access_document(request.user, document_id, for_write=True)
    grant = get_object_or_404(Grant.objects.live(), pk=grant_id, document=document)
    services.revoke_access(grant, actor=request.user, request=request)
    return redirect("sharing:document", document_id=document.pk)


# Legal holds ------------------------------------------------------------------------------------


@signed_in_view
@fresh_second_factor
def legal_hold(request: HttpRequest, space_id: int, document_id: int) -> HttpResponse:
    space = access.access_space(request.user, space_id, for_write=True)
    document = get_object_or_404(Document.objects.select_related("space__protocol"), pk=document_id, space=space)
    if not access.can_hold(request.user, document):
        raise PermissionDenied
    form = ReasonForm(posted(request))
    if form.is_valid():
        change = services.lift_legal_hold if document.legal_hold else services.set_legal_hold
        held = submit(
            form,
            lambda: change(document, actor=request.user, reason=form.cleaned_data["reason"], request=request),
        )
        if held is not None:
            return redirect("sharing:space", space_id=space.pk)
    return render(request, "sharing/legal_hold.html", {"form": form, "document": document}, status=status_for(form))
