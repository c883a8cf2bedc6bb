"""Recording and changing funding streams, and reading the deadlines of the open ones.

A national stream (no partnership) is recorded by site administrators; a partnership's own, by its
CSP chairs and coordinators (``access.can_add_stream``). A stream's rules may change after
applications were submitted to it: they are checked when an application is submitted, so those
already submitted stay as they were.

Which partnerships a stream is for (``serves``): a local stream, its own partnership; a national
one, every partnership in the nations it names, or every partnership when it names none. The
dashboard and the reminders (``funding.reminders``) both ask it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from dhr_tracker.accounts.models import Nation, Partnership
from dhr_tracker.chronologies.services.requests import TEXT_LIMIT
from dhr_tracker.funding import access
from dhr_tracker.funding.models import Application, ApplicationStatus, FundingStream
from dhr_tracker.funding.services import STALE_MESSAGE, record_change
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.access import managed_partnerships
from dhr_tracker.reviews.models import DeathType

NAME_LIMIT = 200
MAX_REVIEWS = 99
# Years a stream may be for: wide enough for any fund on record, narrow enough to catch a typo.
FIRST_YEAR = 2000
LAST_YEAR = 2098
NATIONAL = "national"


@dataclass(frozen=True)
class StreamFields:
    """What a stream is, when it takes applications and the rules the app checks, as the form gives them."""

    funder: str
    name: str
    financial_year: int
    total_pot_pence: int | None
    max_award_pence: int | None
    opens_on: date | None
    closes_on: date | None
    criteria: str
    min_reviews_commenced: int | None
    death_types: Sequence[str]
    nations: Sequence[str]
    reviews_in_year: bool


def _name(value: str, field: str, missing: str, label: str, errors: dict[str, str]) -> str:
    text = value.strip()
    if not text:
        errors[field] = missing
    elif len(text) > NAME_LIMIT:
        errors[field] = f"{label} must be 200 characters or fewer"
    return text


def _codes(values: Sequence[str], allowed: list[str], field: str, message: str, errors: dict[str, str]) -> list[str]:
    """The codes chosen, in the order of their choices; an error when one is not a choice."""
    if any(value not in allowed for value in values):
        errors[field] = message
    return [code for code in allowed if code in values]


def _amounts(fields: StreamFields, errors: dict[str, str]) -> None:
    pot, award = fields.total_pot_pence, fields.max_award_pence
    if pot is None:
        errors["total_pot"] = "Enter the total pot"
    elif pot <= 0:
        errors["total_pot"] = "The total pot must be more than £0"
    if award is None:
        errors["max_award"] = "Enter the maximum award"
    elif award <= 0:
        errors["max_award"] = "The maximum award must be more than £0"
    elif pot is not None and award > pot:
        errors["max_award"] = "The maximum award cannot be more than the total pot"


def _dates(fields: StreamFields, errors: dict[str, str]) -> None:
    if fields.opens_on is None:
        errors["opens_on"] = "Enter the opening date"
    if fields.closes_on is None:
        errors["closes_on"] = "Enter the closing date"
    elif fields.opens_on is not None and fields.closes_on < fields.opens_on:
        errors["closes_on"] = "The closing date must be on or after the opening date"


def _values(fields: StreamFields) -> dict[str, Any]:
    """The stream's columns from ``fields``, or a ``ValidationError`` naming every field at fault."""
    errors: dict[str, str] = {}
    funder = _name(fields.funder, "funder", "Enter the funder", "The funder", errors)
    name = _name(fields.name, "name", "Enter the name of the fund", "The name of the fund", errors)
    year = fields.financial_year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors["financial_year"] = (
            f"Choose a financial year from {FinancialYear(FIRST_YEAR)} to {FinancialYear(LAST_YEAR)}"
        )
    _amounts(fields, errors)
    _dates(fields, errors)
    criteria = fields.criteria.strip()
    if len(criteria) > TEXT_LIMIT:
        errors["criteria"] = "The criteria must be 10,000 characters or fewer"
    minimum = fields.min_reviews_commenced
    if minimum is not None and not 1 <= minimum <= MAX_REVIEWS:
        errors["min_reviews_commenced"] = (
            f"The minimum number of reviews commenced must be between 1 and {MAX_REVIEWS}, or left empty"
        )
    death_types = _codes(
        fields.death_types, DeathType.values, "death_types", "Choose types of review from the list", errors
    )
    nations = _codes(fields.nations, Nation.values, "nations", "Choose nations from the list", errors)
    if errors:
        raise ValidationError(errors)
    return {
        "funder": funder,
        "name": name,
        "financial_year": year,
        "total_pot_pence": fields.total_pot_pence,
        "max_award_pence": fields.max_award_pence,
        "opens_on": fields.opens_on,
        "closes_on": fields.closes_on,
        "criteria": criteria,
        "min_reviews_commenced": minimum,
        "death_types": death_types,
        "nations": nations,
        "reviews_in_year": fields.reviews_in_year,
    }


def _details(stream: FundingStream) -> dict[str, Any]:
    """What the audit trail keeps of a stream: ids, its year, pence, dates and rules; never its words."""
    return {
        "stream": stream.pk,
        "financial_year": stream.financial_year,
        "total_pot_pence": stream.total_pot_pence,
        "max_award_pence": stream.max_award_pence,
        "opens_on": stream.opens_on.isoformat(),
        "closes_on": stream.closes_on.isoformat(),
        "min_reviews_commenced": stream.min_reviews_commenced,
        "death_types": list(stream.death_types),
        "nations": list(stream.nations),
        "reviews_in_year": stream.reviews_in_year,
    }


def add_stream(
    *, actor: Any, partnership_id: int | None, fields: StreamFields, request: HttpRequest | None
) -> FundingStream:
    """Record a stream: national (``partnership_id`` None) or the partnership's own."""
    if not access.can_add_stream(actor, partnership_id):
        raise PermissionDenied
    values = _values(fields)
    with transaction.atomic():
        stream = FundingStream.objects.create(partnership_id=partnership_id, created_by=actor, **values)
        record_change(
            "funding.stream_added",
            actor=actor,
            target=stream,
            partnership_id=partnership_id,
            request=request,
            **_details(stream),
        )
    return stream


def change_stream(
    stream: FundingStream, *, actor: Any, version: int, fields: StreamFields, request: HttpRequest | None
) -> FundingStream:
    """Change what a stream is, its dates or its rules; applications already submitted are not touched."""
    if not access.can_change_stream(actor, stream):
        raise PermissionDenied
    values = _values(fields)
    with transaction.atomic():
        current = FundingStream.objects.select_for_update().get(pk=stream.pk)
        if not access.can_change_stream(actor, current):
            raise PermissionDenied
        if current.version != version:
            raise ValidationError(STALE_MESSAGE, code="stale")
        changed = sorted(name for name, value in values.items() if getattr(current, name) != value)
        for name, value in values.items():
            setattr(current, name, value)
        current.version += 1
        current.save(update_fields=[*values, "version"])
        record_change(
            "funding.stream_changed",
            actor=actor,
            target=current,
            partnership_id=current.partnership_id,
            request=request,
            changed=changed,
            **_details(current),
        )
    return current


# Reading ------------------------------------------------------------------------------------


def owner_choices(user: Any) -> list[tuple[str, str]]:
    """Whose stream the user may record: national (site administrators) and each partnership they manage."""
    national = [(NATIONAL, "A national fund, open to every partnership")] if access.can_add_stream(user, None) else []
    managed = Partnership.objects.filter(pk__in=managed_partnerships(user)).order_by("name")
    return national + [(str(partnership.pk), partnership.name) for partnership in managed]


def owner_of(choice: str) -> int | None:
    """The partnership an owner choice names; None for a national stream."""
    return None if choice == NATIONAL else int(choice)


def submitted_count(stream: FundingStream) -> int:
    """How many applications to the stream have gone beyond a draft."""
    return Application.objects.filter(stream=stream).exclude(status=ApplicationStatus.DRAFT).count()


def serves(stream: FundingStream, partnership: Partnership) -> bool:
    """Whether the partnership may apply to the stream: its own, or a national one for its nation."""
    if stream.partnership_id is not None:
        return stream.partnership_id == partnership.pk
    return not stream.nations or partnership.nation in stream.nations


def _listed(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def rules_in_words(stream: FundingStream) -> list[str]:
    """The rules the app checks before an application is submitted, each a sentence."""
    year = stream.year
    rules = [
        f"Applications can be submitted from {stream.opens_on.day} {stream.opens_on:%B %Y} "
        f"to {stream.closes_on.day} {stream.closes_on:%B %Y}."
    ]
    if stream.min_reviews_commenced is not None:
        count = stream.min_reviews_commenced
        rules.append(
            f"The partnership must have commenced at least {count} review{'' if count == 1 else 's'} "
            f"in {year} ({year.span})."
        )
    if stream.nations:
        rules.append(f"The partnership must be in {_listed([Nation(code).label for code in stream.nations])}.")
    if stream.death_types:
        labels = [DeathType(code).label.lower() for code in stream.death_types]
        rules.append(f"Each review must be of a death recorded as {_listed(labels)}.")
    if stream.reviews_in_year:
        rules.append(f"Each review must have commenced in {year} ({year.span}).")
    return rules


@dataclass(frozen=True)
class PartnershipStatus:
    """A partnership the user manages, and its applications to one stream (none yet: empty)."""

    partnership: Partnership
    applications: list[Application]


@dataclass(frozen=True)
class StreamDeadline:
    """A stream open today that the user may apply to, its days left, and where each partnership stands."""

    stream: FundingStream
    days_left: int
    partnerships: list[PartnershipStatus]


def open_deadlines(partnerships: list[Partnership], today: date) -> list[StreamDeadline]:
    """The streams open today for ``partnerships`` (those the user manages), soonest closing first, in two queries."""
    if not partnerships:
        return []
    managed = [partnership.pk for partnership in partnerships]
    streams = list(
        FundingStream.objects.open_on(today)
        .filter(Q(partnership__isnull=True) | Q(partnership_id__in=managed))
        .order_by("closes_on", "funder", "name", "pk")
    )
    applications: dict[tuple[int, int], list[Application]] = {}
    found = Application.objects.filter(stream__in=streams, partnership_id__in=managed).order_by("created_at", "pk")
    for application in found:
        applications.setdefault((application.stream_id, application.partnership_id), []).append(application)
    deadlines = []
    for stream in streams:
        statuses = [
            PartnershipStatus(partnership, applications.get((stream.pk, partnership.pk), []))
            for partnership in partnerships
            if serves(stream, partnership)
        ]
        if statuses:
            deadlines.append(StreamDeadline(stream, (stream.closes_on - today).days, statuses))
    return deadlines
