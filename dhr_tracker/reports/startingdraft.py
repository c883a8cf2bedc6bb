"""The starting draft of the overview report or the executive summary, as a Word document.

Laid out in the sections of DHR.md s10 (``reports.sections``) and pre-filled with what the
tracker already knows: the approved terms of reference, the panel and agencies, the timescales,
pauses, family involvement and, for the overview report, the combined chronology as an appendix.
The rest is left to the chair, marked "[For the chair: ...]".

The draft becomes the published report, so it names no one (DHR.md s6, s12): the review's people
by pseudonym, the family by relationship, the panel by role and agency, the chair as "the
independent chair". Nothing here reads a sealed column (real names, dates of birth, addresses,
the place of death), nor free text that may hold a name (the notifier, the senior
investigating officer, a pause's reference). Every page carries the protective marking.
"""

import io
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format
from docx.document import Document as DocxDocument

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies import exports as chronology_exports
from dhr_tracker.chronologies.combined import combined_entries
from dhr_tracker.chronologies.services.requests import approved_terms
from dhr_tracker.reports.models import ReportKind
from dhr_tracker.reports.sections import OVERVIEW, SUMMARY
from dhr_tracker.reviews import exports as review_exports
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.exports import NONE_RECORDED, marked_docx, subject_choices
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import ChairAppointment, Participant, ParticipantKind, Review, ScopedAgency

# The deadlines of the review itself; a meeting action's text may name someone.
REVIEW_DEADLINES = ("decision", "completion")
CONFIDENTIALITY = (
    "The people in this review are given pseudonyms, and the members of the family are named by their "
    "relationship only. Practitioners and panel members are named by their role and agency."
)


@dataclass(frozen=True)
class Draft:
    content: bytes
    # Rows of the combined chronology in the appendix, and whether it was cut short.
    entries: int
    capped: bool


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value else "Not recorded"


def title(review: Review, kind: str) -> str:
    return f"{review.title}: {ReportKind(kind).label.lower()}, starting draft"


def file_name(review: Review, kind: str) -> str:
    return f"{review.reference}-{kind}-starting-draft.docx"


class _Writer:
    """Headings and paragraphs in order, each section numbered as in the model layout."""

    def __init__(self, document: DocxDocument, layout: tuple[tuple[str, str], ...]) -> None:
        self.document = document
        self.labels = dict(layout)
        self.numbers = {key: number for number, (key, _) in enumerate(layout, start=1)}

    def section(self, key: str) -> None:
        self.document.add_heading(f"{self.numbers[key]}. {self.labels[key]}", level=1)

    def heading(self, text: str) -> None:
        self.document.add_heading(text, level=2)

    def lines(self, texts: list[str], *, bullets: bool = False) -> None:
        for text in texts or [NONE_RECORDED]:
            self.document.add_paragraph(text, style="List Bullet" if bullets and texts else None)

    def for_the_chair(self, what: str) -> None:
        self.document.add_paragraph(f"[For the chair: {what}]")


def _people(review: Review) -> list[str]:
    return [label for _, label in subject_choices(review)]


def _case_summary(review: Review) -> list[str]:
    return [
        *_people(review),
        f"Their relationship: {review.get_relationship_display().lower()}.",
        f"Type of death: {review.get_death_type_display().lower()}.",
    ]


def _commissioned_on(review: Review) -> date | None:
    step = review.steps.filter(to_state=State.COMMISSIONED).order_by("at").first()
    return timezone.localtime(step.at).date() if step else review.decided_on


def _timescales(review: Review) -> list[str]:
    lines = [
        f"Notified: {_day(review.notified_on)}",
        f"Decision to review: {_day(review.decided_on)}",
        f"Commissioned: {_day(_commissioned_on(review))}",
    ]
    schedule.load_schedule(review)
    status = schedule.status_of(review, timezone.localdate())
    for deadline in status.deadlines:
        if deadline.key in REVIEW_DEADLINES:
            due = _day(deadline.due) if deadline.due else "held while the review is paused"
            done = f", done on {_day(deadline.done_on)}" if deadline.done_on else ""
            lines.append(f"{deadline.label}: due {due}{done}")
    lines.append(f"Where the review stands: {review.state_label}")
    return lines


def _pauses(review: Review) -> list[str]:
    lines = []
    for pause in review.pauses.order_by("started_on"):
        body = f" ({pause.body})" if pause.body else ""
        if pause.ended_on:
            until = f"to {_day(pause.ended_on)}"
        elif pause.expected_end_on:
            until = f"expected to end {_day(pause.expected_end_on)}"
        else:
            until = "continuing"
        lines.append(f"{pause.get_reason_display()}{body}: from {_day(pause.started_on)} {until}")
    return lines


def _family(review: Review) -> list[str]:
    lines = []
    for member in review.family.order_by("added_at"):
        advocate = "with an advocate" if member.advocate else "no advocate recorded"
        lines.append(f"{member.relationship}: {member.get_consent_display().lower()}; {advocate}")
    return lines


def _chair(review: Review) -> list[str]:
    appointment = (
        ChairAppointment.objects.filter(review=review, confirmed_at__isnull=False, ended_at__isnull=True)
        .order_by("-confirmed_at")
        .first()
    )
    if appointment is None:
        return ["The independent chair is not yet confirmed."]
    accreditation = f", accredited: {appointment.accreditation}" if appointment.accreditation else ""
    return [f"The independent chair{accreditation}."]


def _panel(review: Review) -> list[str]:
    members = (
        Participant.objects.current()
        .filter(review=review, kind=ParticipantKind.PANEL_MEMBER)
        .select_related("agency")
        .order_by("agency__name", "role_title")
    )
    return [
        ", ".join(
            part for part in (member.role_title or "Panel member", member.agency.name if member.agency else "") if part
        )
        for member in members
    ]


def _agencies(review: Review) -> list[str]:
    scoped = ScopedAgency.objects.filter(review=review).select_related("agency").order_by("agency__name")
    return [row.agency.name for row in scoped]


def _terms(writer: _Writer, review: Review) -> None:
    terms = approved_terms(review)
    if terms is None:
        writer.lines(["The terms of reference are not approved yet."])
        return
    writer.lines([f"Version {terms.version} of the terms of reference, approved."])
    for section in review_exports.sections(terms):
        writer.heading(section.heading)
        writer.lines(section.paragraphs, bullets=section.bullets)


def _appendix(document: DocxDocument, review: Review, made_for: User) -> tuple[int, bool]:
    """The combined chronology as a table, cut at the limit of a Word document, with a note when it is."""
    limit = chronology_exports.MAX_DOCUMENT_ENTRIES
    entries = combined_entries(review)
    total = entries.count()
    document.add_heading("Appendix A: the combined chronology", level=1)
    if total == 0:
        document.add_paragraph("No agency's chronology has been accepted yet.")
        return 0, False
    shown = min(total, limit)
    document.add_paragraph(f"{shown:,} accepted {'entry' if shown == 1 else 'entries'}, in date order.")
    if total > limit:
        document.add_paragraph(
            f"The combined chronology has {total:,} entries; this draft holds the first {limit:,}. "
            "Download the rest from the combined chronology's page."
        )
    job = chronology_exports.Job(
        review=review,
        entries=entries[:limit],
        notes=False,
        recipient=made_for,
        made_at=timezone.now(),
        filters=[],
    )
    names = chronology_exports.headings(notes=False)
    table = document.add_table(rows=1, cols=len(names))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, names, strict=True):
        cell.paragraphs[0].add_run(name).bold = True
    for cells in chronology_exports.rows(job):
        chronology_exports.docx_row(table._tbl, cells)
    return shown, total > limit


def _overview(document: DocxDocument, review: Review, made_for: User) -> tuple[int, bool]:
    writer = _Writer(document, OVERVIEW)
    writer.section("preface")
    writer.for_the_chair("a preface or a tribute to the victim, agreed with the family")
    writer.section("introduction")
    writer.heading("Case summary")
    writer.lines(_case_summary(review))
    writer.heading("Timescales")
    writer.lines(_timescales(review), bullets=True)
    writer.heading("Confidentiality")
    writer.lines([CONFIDENTIALITY])
    writer.heading("Terms of reference")
    _terms(writer, review)
    writer.section("family")
    writer.lines(_family(review), bullets=True)
    writer.for_the_chair("how the family, friends and colleagues contributed, and how their views shaped the review")
    writer.section("contributors")
    writer.heading("Agencies")
    writer.lines(_agencies(review), bullets=True)
    writer.heading("The panel")
    writer.lines([*_chair(review), *_panel(review)], bullets=True)
    writer.section("independence")
    writer.lines(_chair(review))
    writer.for_the_chair("the independence of the author, the chair and the panel members")
    writer.section("parallel")
    writer.heading("Pauses for parallel proceedings")
    writer.lines(_pauses(review), bullets=True)
    for key, what in (
        ("equality", "the protected characteristics considered and what they showed"),
        ("dissemination", "who receives the report"),
        ("background", "the background facts"),
    ):
        writer.section(key)
        writer.for_the_chair(what)
    writer.section("chronology")
    writer.lines(["The combined chronology of the agencies is at Appendix A."])
    for key, what in (
        ("overview", "an overview of what happened"),
        ("analysis", "the analysis against each line of enquiry"),
        ("conclusions", "the conclusions, including whether the death was preventable"),
        ("lessons", "the lessons learned"),
        ("recommendations", "the recommendations, single- and multi-agency together"),
        ("appendices", "the action plan and a glossary"),
    ):
        writer.section(key)
        writer.for_the_chair(what)
    return _appendix(document, review, made_for)


def _summary(document: DocxDocument, review: Review) -> None:
    writer = _Writer(document, SUMMARY)
    writer.section("process")
    writer.lines(_timescales(review), bullets=True)
    terms = approved_terms(review)
    if terms is not None:
        writer.lines([f"The period under review: {_day(terms.period_start)} to {_day(terms.period_end)}."])
        for section in review_exports.sections(terms):
            if section.heading == "Method":
                writer.heading(section.heading)
                writer.lines(section.paragraphs)
    writer.section("panel")
    writer.lines([*_chair(review), *_panel(review)], bullets=True)
    writer.heading("Agencies")
    writer.lines(_agencies(review), bullets=True)
    writer.section("family_contact")
    writer.lines(_family(review), bullets=True)
    writer.section("equality")
    writer.for_the_chair("equality and diversity")
    writer.section("key_facts")
    writer.lines(_case_summary(review))
    writer.for_the_chair("the key facts")
    writer.section("conclusions")
    writer.for_the_chair("the conclusions")
    writer.section("recommendations")
    writer.for_the_chair("the recommendations")


def starting_draft(review: Review, kind: str, *, made_for: User) -> Draft:
    """The starting draft of the report of ``kind`` for ``review``, made for ``made_for``."""
    heading = title(review, kind)
    document = marked_docx(heading, review.partnership.name)
    document.add_heading(heading, level=0)
    document.add_paragraph(review.partnership.name)
    document.add_paragraph(f"Starting draft made on {_day(timezone.localdate())}. {CONFIDENTIALITY}")
    entries, capped = 0, False
    if kind == ReportKind.OVERVIEW:
        entries, capped = _overview(document, review, made_for)
    else:
        _summary(document, review)
    out = io.BytesIO()
    document.save(out)
    return Draft(out.getvalue(), entries, capped)
