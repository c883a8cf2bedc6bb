"""Accepted chronologies written straight through the ORM, for tests of the combined chronology.

A complete request, an accepted submission and its entries, as the submission services leave
them once the panel accepts a chronology, without going through drafting and submitting.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from dhr_tracker.accounts.models import Agency
from dhr_tracker.chronologies.importing import Subject
from dhr_tracker.chronologies.models import (
    AgencyRequest,
    Entry,
    RequestKind,
    RequestStatus,
    Submission,
    SubmissionStatus,
)
from dhr_tracker.chronologies.partialdates import parse_date, parse_time
from dhr_tracker.chronologies.services.requests import approved_terms
from tests.chronologies.conftest import ChronologyWorld


@dataclass(frozen=True)
class Line:
    """One entry as a person would type it: the date in a UK form, and the time if any."""

    on: str
    event: str
    at: str = ""
    subject: Subject = Subject.VICTIM
    source_record: str = ""
    practitioner_role: str = ""
    action_or_outcome: str = ""
    risks: tuple[str, ...] = ()
    significant: bool = False


def accept(world: ChronologyWorld, agency: Agency, lines: Sequence[Line]) -> list[Entry]:
    """An accepted chronology of ``lines`` from ``agency``, its entries in the combined chronology, in the order given."""
    review = world.refresh()
    today = timezone.localdate()
    agency_request = AgencyRequest.objects.create(
        review=review,
        agency=agency,
        kind=RequestKind.CHRONOLOGY,
        period_start=review.died_on - timedelta(days=3650),
        period_end=review.died_on,
        subjects=["Adult A", "Adult B"],
        due_on=today + timedelta(days=28),
        terms=approved_terms(review),
        status=RequestStatus.COMPLETE,
        completed_on=today,
        created_by=world.coordinator,
    )
    now = timezone.now()
    submission = Submission.objects.create(
        request=agency_request,
        number=1,
        status=SubmissionStatus.ACCEPTED,
        created_by=world.coordinator,
        submitted_at=now,
        decided_by=world.coordinator,
        decided_at=now,
    )
    entries = []
    for position, line in enumerate(lines, start=1):
        on = parse_date(line.on)
        entry = Entry(
            submission=submission,
            review=review,
            agency=agency,
            position=position,
            subject=line.subject,
            source_record=line.source_record,
            practitioner_role=line.practitioner_role,
            event=line.event,
            action_or_outcome=line.action_or_outcome,
            risks=Entry.stored_risks(line.risks),
            combined=True,
            significant=line.significant,
        )
        entry.set_date(on, parse_time(line.at, on=on), agency.name)
        entries.append(entry)
    return Entry.objects.bulk_create(entries)


# A police call-out with every field filled, as the tests of the list and of the downloads both read it.
CALL = Line(
    "1 Jan 2019",
    "Called to the address after a neighbour heard shouting",
    at="14:30",
    source_record="PNC-1",
    practitioner_role="Police constable",
    action_or_outcome="DASH completed: high risk",
    risks=("DASH high risk", "MARAC referral"),
)
