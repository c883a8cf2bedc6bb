"""Sign-off (DHR.md s19 state 10): the panel's agreement, then the CSP chair's approval.

Each names the latest overview report version (and the latest executive summary, if there is
one) at the time. The CSP chair approves only what the panel agreed, and only the latest
versions: a newer upload needs the panel's agreement again. A sign-off is withdrawn, never
deleted; withdrawing the panel's agreement withdraws the approval that rested on it. The
lifecycle steps ``seek_csp_signoff`` and ``submit_to_home_office`` read these through
``reports.facts``.

Audit details carry ids, numbers and dates, never the note or the reason.
"""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, text_of
from dhr_tracker.reports import access
from dhr_tracker.reports.models import ReportKind, ReportVersion, SignOff, SignOffKind
from dhr_tracker.reports.services.drafts import latest_version
from dhr_tracker.reviews.models import Participant, ParticipantKind, Review
from dhr_tracker.reviews.services import check_not_future, locked, record_change

NO_OVERVIEW = "Upload the overview report before recording its sign-off"
PANEL_FIRST = "The panel must agree this version first"


def _allow(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def live_signoffs(review: Review) -> dict[str, SignOff]:
    found = SignOff.objects.filter(review=review, withdrawn_at__isnull=True).select_related(
        "overview", "summary", "person", "recorded_by"
    )
    return {signoff.kind: signoff for signoff in found}


def latest_versions(review: Review) -> tuple[ReportVersion | None, ReportVersion | None]:
    """The latest overview report and executive summary versions, either possibly missing."""
    return latest_version(review, ReportKind.OVERVIEW), latest_version(review, ReportKind.SUMMARY)


def spokesperson_choices(review: Review) -> list[tuple[int, str]]:
    """Who may speak for the panel: the independent chair and the current panel members."""
    people = (
        Participant.objects.current()
        .filter(review=review, kind__in=(ParticipantKind.INDEPENDENT_CHAIR, ParticipantKind.PANEL_MEMBER))
        .select_related("user")
        .order_by("kind", "user__full_name")
    )
    return [(row.user_id, f"{row.user.full_name} ({row.get_kind_display().lower()})") for row in people]


def _check_date(signed_on: date | None, missing: str) -> date:
    if signed_on is None:
        raise ValidationError({"signed_on": missing})
    check_not_future(signed_on, "signed_on", "The date")
    return signed_on


def _note(note: str) -> str:
    text = note.strip()
    if len(text) > TEXT_LIMIT:
        raise ValidationError({"note": "The note must be 10,000 characters or fewer"})
    return text


def record_panel_agreement(
    review: Review,
    *,
    actor: Any,
    signed_on: date | None,
    person_id: int | None,
    note: str,
    request: HttpRequest | None,
) -> SignOff:
    """Record that the panel agreed the latest versions, on ``signed_on``, as ``person_id`` said for it."""
    _allow(access.can_record_panel_agreement(actor, review))
    day = _check_date(signed_on, "Enter the date the panel agreed the report")
    if person_id is None or person_id not in dict(spokesperson_choices(review)):
        raise ValidationError({"person": "Choose who spoke for the panel"})
    text = _note(note)
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_record_panel_agreement(actor, r))
        overview, summary = latest_versions(current)
        if overview is None:
            raise ValidationError(NO_OVERVIEW)
        if SignOffKind.PANEL in live_signoffs(current):
            raise ValidationError(
                "The panel's agreement is already recorded. Withdraw it first if the panel must agree a newer version"
            )
        signoff = _sign(
            current, SignOffKind.PANEL, (overview, summary), day, person_id, text, actor=actor, request=request
        )
    return signoff


def approve_report(
    review: Review,
    *,
    actor: Any,
    overview_id: int | None,
    summary_id: int | None,
    signed_on: date | None,
    note: str,
    request: HttpRequest | None,
) -> SignOff:
    """The CSP chair approves the versions the page showed, which must be the latest and agreed by the panel."""
    _allow(access.can_approve(actor, review))
    day = _check_date(signed_on, "Enter the date you approved the report")
    text = _note(note)
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_approve(actor, r))
        overview, summary = latest_versions(current)
        if overview is None:
            raise ValidationError(NO_OVERVIEW)
        if overview_id != overview.pk or summary_id != (summary.pk if summary else None):
            raise ValidationError(
                "A newer version of the report has been uploaded since you opened this page. "
                "Approve the latest version once the panel has agreed it"
            )
        live = live_signoffs(current)
        if SignOffKind.CSP in live:
            raise ValidationError("The CSP chair's approval is already recorded")
        panel = live.get(SignOffKind.PANEL)
        if panel is None or panel.overview_id != overview.pk or panel.summary_id != (summary.pk if summary else None):
            raise ValidationError(PANEL_FIRST)
        signoff = _sign(
            current, SignOffKind.CSP, (overview, summary), day, actor.pk, text, actor=actor, request=request
        )
    return signoff


_SIGNED: dict[str, str] = {SignOffKind.PANEL: "reports.panel_agreed", SignOffKind.CSP: "reports.csp_approved"}


def _sign(
    review: Review,
    kind: str,
    versions: tuple[ReportVersion, ReportVersion | None],
    day: date,
    person_id: int,
    note: str,
    *,
    actor: Any,
    request: HttpRequest | None,
) -> SignOff:
    """Record the sign-off of these versions, and its audit event, in the caller's transaction."""
    overview, summary = versions
    signoff = SignOff.objects.create(
        review=review,
        kind=kind,
        overview=overview,
        summary=summary,
        signed_on=day,
        person_id=person_id,
        note=note,
        recorded_by=actor,
    )
    record_change(
        _SIGNED[kind],
        actor=actor,
        review=review,
        target=signoff,
        request=request,
        overview=overview.number,
        summary=summary.number if summary else None,
        signed_on=day.isoformat(),
        person=person_id,
    )
    return signoff


def withdraw_signoff(signoff: SignOff, *, actor: Any, reason: str, request: HttpRequest | None) -> list[SignOff]:
    """Withdraw a live sign-off with a reason; the panel's takes the CSP chair's approval with it."""
    _allow(access.can_withdraw_signoff(actor, signoff))
    why = text_of(reason, "reason", "Enter why the sign-off is withdrawn", "The reason")
    with transaction.atomic():
        current_review = locked(signoff.review, version=None)
        current = SignOff.objects.select_for_update().get(pk=signoff.pk)
        current.review = current_review
        _allow(access.can_withdraw_signoff(actor, current))
        withdrawn = [current]
        if current.kind == SignOffKind.PANEL:
            withdrawn += list(
                SignOff.objects.select_for_update().filter(
                    review=current_review, kind=SignOffKind.CSP, withdrawn_at__isnull=True
                )
            )
        now = timezone.now()
        for row in withdrawn:
            row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason = now, actor, why
            row.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        record_change(
            "reports.signoff_withdrawn",
            actor=actor,
            review=current_review,
            target=current,
            request=request,
            kind=current.kind,
            withdrawn=[row.pk for row in withdrawn],
        )
    return withdrawn
