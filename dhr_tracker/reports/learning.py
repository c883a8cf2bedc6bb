"""Learning across reviews: the recommendations of a partnership's reviews (or of every
partnership's, for national oversight) by theme, lead agency, status, scope and age, with the
repeated ones grouped, and their export.

- **Theme**: a recommendation has the themes tagged on it and on its review.
- **Status**: "complete" when it has actions and all are complete; "no actions yet" when it has
  none; otherwise the worst RAG of its open actions (red overdue, then amber, then green), as
  ``Action.rag`` decides it. Computed in the database with ``Exists`` subqueries, so it can be
  filtered, counted and paginated without loading every action.
- **Age**: months since the recommendation was made (``created_at``).
- **Repeated**: similar texts across different reviews (``similarity``), grouped over the whole
  selection, not only the page shown.

Every query is over the selection as a whole: the page runs the same number of queries for 3
reviews as for 300. Exports are audited with the filters and the count, never the texts.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import openpyxl
from django.conf import settings
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from audit.models import Outcome
from audit.trail import record
from dhr_tracker.accounts.models import Agency, Partnership
from dhr_tracker.chronologies.exports import NOT_XML, Made, neutralised, xlsx_cell
from dhr_tracker.reports import similarity
from dhr_tracker.reports.models import RAG, Action, Recommendation, RecommendationTheme, ReviewTheme
from dhr_tracker.reviews.exports import MARKING
from sharing.dates import add_months

# The name of the status annotation; the stubs cannot see annotations, so it is named once here.
STATUS = "learning_status"
NO_ACTIONS = "none"
STATUSES = (
    (RAG.COMPLETE.value, "Complete"),
    (RAG.RED.value, "Red: overdue"),
    (RAG.AMBER.value, "Amber: at risk or due soon"),
    (RAG.GREEN.value, "Green: on track"),
    (NO_ACTIONS, "No actions yet"),
)
STATUS_LABELS = dict(STATUSES)
# (code, label, months at least, months under): the age of a recommendation.
AGES = (
    ("under_6", "Under 6 months", 0, 6),
    ("6_12", "6 to 12 months", 6, 12),
    ("12_24", "12 to 24 months", 12, 24),
    ("over_24", "Over 24 months", 24, None),
)
HEADINGS = (
    "Partnership",
    "Review",
    "Number",
    "Recommendation",
    "Scope",
    "Lead agency",
    "Department addressed",
    "Themes",
    "Status",
    "Made on",
    "Repeated group",
)


def _status(today: date) -> Case:
    actions = Action.objects.filter(recommendation=OuterRef("pk"))
    open_actions = actions.filter(completed_on__isnull=True)
    due_soon = today + timedelta(days=settings.REVIEW_AMBER_DAYS)
    return Case(
        When(~Exists(actions), then=Value(NO_ACTIONS)),
        When(~Exists(open_actions), then=Value(RAG.COMPLETE.value)),
        When(Exists(open_actions.filter(target_on__lt=today)), then=Value(RAG.RED.value)),
        When(Exists(open_actions.filter(Q(at_risk=True) | Q(target_on__lte=due_soon))), then=Value(RAG.AMBER.value)),
        default=Value(RAG.GREEN.value),
        output_field=CharField(),
    )


def recommendations(partnership_id: int | None, today: date) -> QuerySet[Recommendation]:
    """The recommendations of one partnership's reviews (every partnership's for ``None``), with their status."""
    found = Recommendation.objects.annotate(**{STATUS: _status(today)})
    if partnership_id is not None:
        found = found.filter(review__partnership_id=partnership_id)
    return found


def _has_theme(theme: str) -> Q:
    own = RecommendationTheme.objects.filter(recommendation=OuterRef("pk"), theme=theme)
    of_review = ReviewTheme.objects.filter(review=OuterRef("review_id"), theme=theme)
    return Q(Exists(own)) | Q(Exists(of_review))


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _age_range(code: str, today: date) -> Q:
    _, _, at_least, under = next(age for age in AGES if age[0] == code)
    condition = Q(created_at__lt=_midnight(add_months(today, -at_least) + timedelta(days=1)))
    if under is not None:
        condition &= Q(created_at__gte=_midnight(add_months(today, -under) + timedelta(days=1)))
    return condition


def age_label(created_at: datetime, today: date) -> str:
    """The age band of a recommendation made at ``created_at``."""
    made = timezone.localdate(created_at)
    for _, label, _, under in AGES:
        if under is None or made > add_months(today, -under):
            return label
    return AGES[-1][1]


@dataclass(frozen=True)
class Filters:
    """What the learning page and its export select; empty values select everything."""

    theme: str = ""
    agency: int | None = None
    status: str = ""
    scope: str = ""
    age: str = ""

    def apply(self, found: QuerySet[Recommendation], today: date) -> QuerySet[Recommendation]:
        if self.theme:
            found = found.filter(_has_theme(self.theme))
        if self.agency is not None:
            found = found.filter(lead_agency_id=self.agency)
        if self.status:
            found = found.filter(**{STATUS: self.status})
        if self.scope:
            found = found.filter(scope=self.scope)
        if self.age:
            found = found.filter(_age_range(self.age, today))
        return found

    def audited(self) -> dict[str, Any]:
        """The filters for the audit trail: configured themes, ids and codes only."""
        return {name: value for name, value in vars(self).items() if value not in ("", None)}


def counts_by_status(selected: QuerySet[Recommendation]) -> list[tuple[str, str, int]]:
    """(code, label, count) for every status, in one query."""
    counted = dict(selected.order_by().values_list(STATUS).annotate(count=Count("pk")))
    return [(code, label, counted.get(code, 0)) for code, label in STATUSES]


def counts_by_theme(selected: QuerySet[Recommendation]) -> list[tuple[str, int]]:
    """(theme, count) for every configured theme, in one query."""
    themes = list(settings.REPORT_THEMES)
    if not themes:
        return []
    counted = selected.order_by().aggregate(
        **{f"theme_{index}": Count("pk", filter=_has_theme(theme)) for index, theme in enumerate(themes)}
    )
    return [(theme, counted[f"theme_{index}"]) for index, theme in enumerate(themes)]


def agency_choices(found: QuerySet[Recommendation]) -> list[tuple[int, str]]:
    """The lead agencies named by the recommendations ``found``."""
    agencies = Agency.objects.filter(pk__in=found.order_by().values("lead_agency_id")).order_by("name")
    return [(agency.pk, agency.name) for agency in agencies]


@dataclass(frozen=True)
class Row:
    recommendation: Recommendation
    status: str
    age: str
    themes: list[str]


def rows(recommendations_shown: list[Recommendation], today: date) -> list[Row]:
    """Rows for recommendations fetched with ``listed``: their status, age and themes in words."""
    return [
        Row(
            recommendation,
            STATUS_LABELS[getattr(recommendation, STATUS)],
            age_label(recommendation.created_at, today),
            sorted(
                {theme.theme for theme in recommendation.themes.all()}
                | {theme.theme for theme in recommendation.review.themes.all()}
            ),
        )
        for recommendation in recommendations_shown
    ]


def listed(selected: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """The selection, ordered for reading, with what the rows show fetched in a fixed number of queries."""
    return (
        selected.select_related("review__partnership", "lead_agency")
        .prefetch_related("themes", "review__themes")
        .order_by("-created_at", "review__reference", "number")
    )


def repeated(selected: QuerySet[Recommendation], today: date) -> list[list[Row]]:
    """Groups of similar recommendations from different reviews of the selection, largest first."""
    texts = selected.order_by().values_list("pk", "review_id", "text")
    groups = similarity.group([similarity.Item(pk, review_id, text) for pk, review_id, text in texts])
    if not groups:
        return []
    members = {
        recommendation.pk: recommendation
        for recommendation in listed(selected.filter(pk__in=[pk for keys in groups for pk in keys]))
    }
    return [rows([members[pk] for pk in keys if pk in members], today) for keys in groups]


# Export ---------------------------------------------------------------------------------------


def _cells(selected: QuerySet[Recommendation], today: date) -> Iterator[list[str]]:
    """Each selected recommendation's cells, with the number of its repeated group if any."""
    groups = similarity.group(
        [
            similarity.Item(pk, review_id, text)
            for pk, review_id, text in selected.order_by().values_list("pk", "review_id", "text")
        ]
    )
    group_of = {pk: index for index, keys in enumerate(groups, start=1) for pk in keys}
    for row in rows(list(listed(selected)), today):
        recommendation = row.recommendation
        cells = [
            recommendation.review.partnership.name,
            recommendation.review.reference,
            str(recommendation.number),
            recommendation.text,
            recommendation.get_scope_display(),
            recommendation.lead_agency.name if recommendation.lead_agency else "",
            recommendation.department,
            "; ".join(row.themes),
            row.status,
            timezone.localdate(recommendation.created_at).isoformat(),
            str(group_of.get(recommendation.pk, "")),
        ]
        yield [NOT_XML.sub("", cell) for cell in cells]


def _xlsx(selected: QuerySet[Recommendation], today: date, about: list[str]) -> Made:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Recommendations")
    sheet.freeze_panes = "A2"
    sheet.oddHeader.center.text = MARKING
    sheet.oddFooter.center.text = MARKING
    bold = Font(bold=True)
    header = []
    for heading in HEADINGS:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for cells in _cells(selected, today):
        sheet.append([xlsx_cell(sheet, value) for value in cells])
        count += 1
    described = workbook.create_sheet("About")
    for line in [*about, MARKING, f"{count:,} recommendations"]:
        described.append([xlsx_cell(described, NOT_XML.sub("", line))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Made(buffer.getvalue(), count)


def _csv(selected: QuerySet[Recommendation], today: date, about: list[str]) -> Made:
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="") as text:
        writer = csv.writer(text)
        writer.writerow(HEADINGS)
        count = 0
        for cells in _cells(selected, today):
            writer.writerow([neutralised(value) for value in cells])
            count += 1
        text.flush()
        return Made(buffer.getvalue(), count)


def export(
    partnership: Partnership | None,
    *,
    actor: Any,
    filters: Filters,
    fmt: str,
    request: HttpRequest | None,
) -> Made:
    """The selected recommendations as XLSX or CSV for ``actor``, recorded in the audit trail.

    The caller has checked that ``actor`` may see the page (``can_see_learning`` or
    ``can_see_national_learning``).
    """
    today = timezone.localdate()
    selected = filters.apply(recommendations(partnership.pk if partnership else None, today), today)
    where = partnership.name if partnership is not None else "Every partnership"
    about = [f"Recommendations across reviews: {where}", f"Made for {actor.full_name} on {today.isoformat()}"]
    made = _xlsx(selected, today, about) if fmt == "xlsx" else _csv(selected, today, about)
    record(
        "reports.learning_exported",
        outcome=Outcome.ALLOWED,
        actor=actor,
        target=partnership,
        target_ref=None if partnership is not None else ("reports.learning", "national"),
        target_label=None if partnership is not None else "Learning across every partnership",
        request=request,
        partnership_id=partnership.pk if partnership is not None else None,
        details={"format": fmt, "count": made.count, "filters": filters.audited()},
    )
    return made
