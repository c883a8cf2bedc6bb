"""The auditors' pages: integrity status, search, one event, and downloads.

Only auditors reach them (the project decides who, through ``audit.integration``), and each
auditor sees only the events of their scope. Searching and downloading are themselves recorded.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from audit import chain, keys, signing
from audit.export import ExportTooLarge, export_lines
from audit.forms import EventFilterForm
from audit.integration import hooks
from audit.models import AuditEvent, Checkpoint, Outcome, VerificationRun
from audit.trail import record

PAGE_SIZE = 50
CSV_COLUMNS = ("seq", *(name for name in chain.FIELDS if name != "details"))

auditor_view = hooks().auditor_view
fresh_second_factor = hooks().fresh_second_factor


def _scope(request: HttpRequest) -> Q:
    scope = hooks().event_scope(request.user)
    if scope is None:
        raise Http404
    return scope


def _events(request: HttpRequest, form: EventFilterForm) -> Any:
    return AuditEvent.objects.filter(_scope(request)).filter(form.query())


@auditor_view
def home(request: HttpRequest) -> HttpResponse:
    _scope(request)
    public = keys.current_public_key()
    return render(
        request,
        "audit/home.html",
        {
            "checkpoint": Checkpoint.objects.order_by("-tree_size").first(),
            "verification": VerificationRun.objects.order_by("-started_at").first(),
            "public_key": public.hex(),
            "key_id": signing.key_id(public),
        },
    )


@auditor_view
def search(request: HttpRequest) -> HttpResponse:
    """Events matching the filters, newest first, in pages keyed by sequence number."""
    form = EventFilterForm(request.GET)
    events: list[AuditEvent] = []
    older = None
    if form.is_valid():
        rows = _events(request, form)
        before = request.GET.get("before", "")
        if before.isascii() and before.isdigit():
            rows = rows.filter(seq__lt=int(before))
        events = list(rows.order_by("-seq")[: PAGE_SIZE + 1])
        if len(events) > PAGE_SIZE:
            events = events[:PAGE_SIZE]
            params = {k: str(v) for k, v in request.GET.items() if k != "before"}
            older = f"{reverse('audit:search')}?{urlencode({**params, 'before': str(events[-1].seq)})}"
        record(
            "audit.searched",
            outcome=Outcome.ALLOWED,
            actor=request.user,
            request=request,
            details={"filters": form.describe(), "before": before, "shown": len(events)},
        )
    filters = urlencode({k: str(v) for k, v in request.GET.items() if k != "before"})
    return render(
        request,
        "audit/search.html",
        {"form": form, "events": events, "older": older, "filters": filters},
        status=400 if form.errors else 200,
    )


@auditor_view
def actor(request: HttpRequest, actor_id: int) -> HttpResponse:
    """What this person did and saw."""
    return _preset(request, {"actor": str(actor_id)})


@auditor_view
def target(request: HttpRequest, target_type: str, target_id: str) -> HttpResponse:
    """Who saw or changed this thing, for example who downloaded a document."""
    return _preset(request, {"target_type": target_type, "target_id": target_id})


def _preset(request: HttpRequest, params: dict[str, str]) -> HttpResponse:
    return redirect(f"{reverse('audit:search')}?{urlencode(params)}")


@auditor_view
def event(request: HttpRequest, seq: int) -> HttpResponse:
    found = AuditEvent.objects.filter(_scope(request)).filter(seq=seq).first()
    if found is None:
        raise Http404
    record(
        "audit.viewed",
        outcome=Outcome.ALLOWED,
        actor=request.user,
        request=request,
        target_ref=("audit.auditevent", str(seq)),
        target_label=f"audit event {seq}",
    )
    return render(
        request,
        "audit/event.html",
        {"event": found, "hash": bytes(found.hash).hex(), "prev_hash": bytes(found.prev_hash).hex()},
    )


def _download_form(request: HttpRequest, file_format: str) -> EventFilterForm:
    """The filters of a download, which is recorded before anything is sent."""
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        raise Http404
    record(
        "audit.exported",
        outcome=Outcome.ALLOWED,
        actor=request.user,
        request=request,
        details={"format": file_format, "filters": form.describe()},
    )
    return form


@auditor_view
@fresh_second_factor
def download_csv(request: HttpRequest) -> HttpResponseBase:
    form = _download_form(request, "csv")
    rows = _events(request, form).order_by("seq").values_list(*CSV_COLUMNS)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for row in rows.iterator(chunk_size=2000):
            # Cells starting with = + - @ would run as formulas in a spreadsheet.
            writer.writerow(["'" + c if isinstance(c, str) and c[:1] in "=+-@" else c for c in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
    return response


@auditor_view
@fresh_second_factor
def download_jsonl(request: HttpRequest) -> HttpResponse:
    form = _download_form(request, "jsonl")
    try:
        body = "".join(export_lines(_scope(request) & form.query()))
    except ExportTooLarge as exc:
        return render(request, "audit/too_large.html", {"message": str(exc)}, status=400)
    response = HttpResponse(body, content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-export.jsonl"'
    return response
