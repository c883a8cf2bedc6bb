"""The combined chronology's queries: every accepted entry of a review, filtered, in order.

``Filters`` is what the filter form (``forms.combined``) reads from the query string; ``apply``
narrows the review's entries by it. The order is ``Entry.order_key``, which the index
``chronologies_combined_order`` (review, combined, order_key) serves, so the first page of
100,000 entries is an index range scan whatever the filters: each filter is a condition checked
on the rows the scan reaches, never a sort.

- Agency, subject and significance are plain equality on the entry's own columns.
- A risk indicator is matched between line breaks (``Entry.risks`` holds one per line), so
  "DASH high risk" never matches "DASH high risk review".
- A date range keeps the entries whose period overlaps it: "Jan 2019" is within "from
  15/01/2019", since the record cannot say which day of January it was.
- Text is matched without regard to case in the event, the action or outcome, the source record
  and the practitioner's role.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from dhr_tracker.accounts.models import Agency
from dhr_tracker.chronologies.binning import LaneEntry
from dhr_tracker.chronologies.importing import Subject
from dhr_tracker.chronologies.models import (
    RISK_BREAK,
    SUBJECT_LABELS,
    AgencyRequest,
    Entry,
    SubmissionStatus,
)
from dhr_tracker.chronologies.partialdates import PartialDate, clock
from dhr_tracker.reviews.deadlines import PauseReason
from dhr_tracker.reviews.models import Pause, Review

# The timeline's tooltips and table give an entry by the start of its event.
LABEL_CHARS = 120


@dataclass(frozen=True)
class Filters:
    """The filters in force; the defaults show every entry."""

    agency: int | None = None
    subject: str = ""
    risk: str = ""
    significant_only: bool = False
    since: PartialDate | None = None
    until: PartialDate | None = None
    text: str = ""

    @property
    def active(self) -> bool:
        return self != Filters()

    def apply(self, entries: QuerySet[Entry]) -> QuerySet[Entry]:
        """Narrow ``entries`` to those these filters keep."""
        if self.agency is not None:
            entries = entries.filter(agency_id=self.agency)
        if self.subject:
            entries = entries.filter(subject=self.subject)
        if self.risk:
            entries = entries.filter(risks__contains=f"{RISK_BREAK}{self.risk}{RISK_BREAK}")
        if self.significant_only:
            entries = entries.filter(significant=True)
        if self.since is not None:
            entries = entries.filter(ends_on__gte=self.since.start)
        if self.until is not None:
            entries = entries.filter(starts_on__lte=self.until.end)
        if self.text:
            entries = entries.filter(
                Q(event__icontains=self.text)
                | Q(action_or_outcome__icontains=self.text)
                | Q(source_record__icontains=self.text)
                | Q(practitioner_role__icontains=self.text)
            )
        return entries

    def in_words(self, agencies: dict[int, str]) -> list[str]:
        """The filters as a reader of an exported document needs them, one a line."""
        said = []
        if self.agency is not None:
            said.append(f"Agency: {agencies.get(self.agency, 'not known')}")
        if self.subject:
            said.append(f"Subject: {SUBJECT_LABELS[Subject(self.subject)]}")
        if self.risk:
            said.append(f"Risk indicator: {self.risk}")
        if self.significant_only:
            said.append("Significant entries only")
        if self.since is not None:
            said.append(f"From {self.since}")
        if self.until is not None:
            said.append(f"To {self.until}")
        if self.text:
            said.append(f"Containing \u201c{self.text}\u201d")
        return said

    def audited(self) -> dict[str, Any]:
        """The filters for the audit trail: ids, dates and names of the configured lists, never the words searched for."""
        return {
            "agency": self.agency,
            "subject": self.subject,
            "risk": self.risk,
            "significant_only": self.significant_only,
            "from": self.since.to_storage() if self.since else "",
            "to": self.until.to_storage() if self.until else "",
            "text": bool(self.text),
        }


def combined_entries(review: Review) -> QuerySet[Entry]:
    """Every accepted entry of the review, in the combined chronology's order."""
    return Entry.objects.filter(review=review, combined=True).order_by("order_key")


@dataclass(frozen=True)
class AgencyCount:
    agency: str
    entries: int
    significant: int


def counts_by_agency(entries: QuerySet[Entry]) -> list[AgencyCount]:
    """How many of ``entries`` each agency gave, and how many of those are significant, by agency name.

    One pass over the entries gives every count the page shows, its total included.
    """
    counted = (
        entries.order_by()
        .values("agency__name")
        .annotate(entries=Count("pk"), significant=Count("pk", filter=Q(significant=True)))
    )
    found = [AgencyCount(row["agency__name"], row["entries"], row["significant"]) for row in counted]
    return sorted(found, key=lambda row: (row.agency.casefold(), row.agency))


def contributing_agencies(review: Review) -> list[tuple[int, str]]:
    """The agencies with an accepted chronology on the review, by name."""
    accepted = AgencyRequest.objects.filter(review=review, submissions__status=SubmissionStatus.ACCEPTED)
    agencies = Agency.objects.filter(pk__in=accepted.values("agency_id")).order_by("name")
    return list(agencies.values_list("pk", "name"))


def when(entry: Entry) -> str:
    """The entry's date as precise as its record, with the time if it has one: "1 Jan 2019, 14:30"."""
    return f"{entry.date}, {clock(entry.at)}" if entry.at else str(entry.date)


def lane_entries(entries: QuerySet[Entry]) -> Iterator[LaneEntry]:
    """The entries as the timeline draws them, reading only the columns it needs."""
    rows = entries.annotate(start_of_event=Substr("event", 1, LABEL_CHARS + 1)).values_list(
        "agency__name", "starts_on", "ends_on", "start_of_event", "significant"
    )
    for agency, starts_on, ends_on, event, significant in rows.iterator(chunk_size=5_000):
        label = event if len(event) <= LABEL_CHARS else event[: LABEL_CHARS - 1].rstrip() + "\u2026"
        yield LaneEntry(agency, starts_on, ends_on, " ".join(label.split()), significant)


def pauses(review: Review) -> list[tuple[date, date | None, str]]:
    """The review's pauses, as the timeline shades them."""
    found = Pause.objects.filter(review=review).order_by("started_on")
    return [(pause.started_on, pause.ended_on, PauseReason(pause.reason).label) for pause in found]
