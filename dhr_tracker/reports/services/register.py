"""The pseudonym register of a review: whose real identifiers the anonymisation check looks for.

The review's people and family members bring their real names, dates of birth and addresses;
``KnownIdentifier`` entries add the rest (nicknames, former names, other people, places, phone
and reference numbers), each sealed and bound to its row. ``register_for`` gathers all of them,
decrypted, for the check only; pages show pseudonyms, kinds and counts, and one entry's value
only through the audited reveal (sudo mode). Audit details carry ids, kinds and pseudonyms,
never a value.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.partialdates import DateError, Precision, parse_date
from dhr_tracker.reports import access
from dhr_tracker.reports.anonymisation import Identity
from dhr_tracker.reports.models import IdentifierKind, KnownIdentifier
from dhr_tracker.reviews.models import FamilyMember, Person, Review, SealedPerson
from dhr_tracker.reviews.services import check_not_future, locked, record_change

PSEUDONYM_LIMIT = 100
VALUE_LIMIT = 500


@dataclass
class _Gathered:
    pseudonym: str
    names: list[str] = field(default_factory=list)
    birth_dates: list[date] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)

    def identity(self) -> Identity:
        return Identity(
            pseudonym=self.pseudonym,
            names=tuple(dict.fromkeys(self.names)),
            birth_dates=tuple(dict.fromkeys(self.birth_dates)),
            addresses=tuple(dict.fromkeys(self.addresses)),
            others=tuple(dict.fromkeys(self.others)),
        )


def _sealed_people(review: Review) -> Iterable[SealedPerson]:
    yield from Person.objects.filter(review=review).order_by("pk")
    yield from FamilyMember.objects.filter(review=review).order_by("pk")


def live_entries(review: Review) -> QuerySet[KnownIdentifier]:
    """The register's own entries that count: those not removed."""
    return KnownIdentifier.objects.filter(review=review, removed_at__isnull=True)


def register_for(review: Review) -> list[Identity]:
    """Every real identifier of the review, decrypted, one ``Identity`` per pseudonym: for the check only."""
    gathered: dict[str, _Gathered] = {}

    def of(pseudonym: str) -> _Gathered:
        return gathered.setdefault(pseudonym.casefold(), _Gathered(pseudonym))

    for person in _sealed_people(review):
        found = of(person.pseudonym)
        if name := person.unseal("name"):
            found.names.append(name)
        if (born := person.birth_date) is not None:
            found.birth_dates.append(born)
        if address := person.unseal("address"):
            found.addresses.append(address)
    for entry in live_entries(review).order_by("pk"):
        found, value = of(entry.pseudonym), entry.value()
        if entry.kind == IdentifierKind.NAME:
            found.names.append(value)
        elif entry.kind == IdentifierKind.BIRTH_DATE:
            found.birth_dates.append(date.fromisoformat(value))
        elif entry.kind == IdentifierKind.ADDRESS:
            found.addresses.append(value)
        else:
            found.others.append(value)
    return [item.identity() for item in gathered.values()]


def pseudonym_choices(review: Review) -> list[str]:
    """The pseudonyms of the review's people and family, people first."""
    people = Person.objects.filter(review=review).order_by("role", "pseudonym").values_list("pseudonym", flat=True)
    family = FamilyMember.objects.filter(review=review).order_by("pseudonym").values_list("pseudonym", flat=True)
    return list(dict.fromkeys([*people, *family]))


@dataclass(frozen=True)
class RegisterRow:
    """What the register holds for one pseudonym, without a value: counts and entries by kind."""

    pseudonym: str
    from_records: dict[str, int]
    entries: list[KnownIdentifier]


def register_rows(review: Review) -> list[RegisterRow]:
    """The register page's rows, by pseudonym: what the people's records give, and the entries."""
    rows: dict[str, RegisterRow] = {}

    def row(pseudonym: str) -> RegisterRow:
        return rows.setdefault(pseudonym.casefold(), RegisterRow(pseudonym, {}, []))

    for person in _sealed_people(review):
        counts = row(person.pseudonym).from_records
        for column, label in (("name", "Name"), ("birth_date", "Date of birth"), ("address", "Address")):
            if getattr(person, f"{column}_enc"):
                counts[label] = counts.get(label, 0) + 1
    for entry in live_entries(review).select_related("added_by").order_by("pseudonym", "kind", "added_at"):
        row(entry.pseudonym).entries.append(entry)
    return sorted(rows.values(), key=lambda item: item.pseudonym.casefold())


def _checked_value(kind: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationError({"value": "Enter the identifier"})
    if len(text) > VALUE_LIMIT:
        raise ValidationError({"value": f"The identifier must be {VALUE_LIMIT} characters or fewer"})
    if kind != IdentifierKind.BIRTH_DATE:
        return text
    try:
        born = parse_date(text)
    except DateError:
        born = None
    if born is None or born.precision is not Precision.DAY:
        raise ValidationError({"value": "Enter the date of birth as a real date, for example 17/05/1980"})
    check_not_future(born.start, "value", "The date of birth")
    return born.start.isoformat()


def add_identifier(
    review: Review, *, actor: Any, kind: str, pseudonym: str, value: str, request: HttpRequest | None
) -> KnownIdentifier:
    """Add a real identifier to the register, sealed, under the pseudonym of the person it identifies."""
    if kind not in IdentifierKind.values:
        raise ValidationError({"kind": "Choose what kind of identifier this is"})
    whose = pseudonym.strip()
    if not whose:
        raise ValidationError({"pseudonym": "Choose or enter the pseudonym of the person it identifies"})
    if len(whose) > PSEUDONYM_LIMIT:
        raise ValidationError({"pseudonym": f"The pseudonym must be {PSEUDONYM_LIMIT} characters or fewer"})
    sealed_value = _checked_value(kind, value)
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_keep_register(actor, r))
        entry = KnownIdentifier(review=current, kind=kind, pseudonym=whose, added_by=actor)
        entry.seal(sealed_value)
        entry.save()
        record_change(
            "reports.register_added",
            actor=actor,
            review=current,
            target=entry,
            request=request,
            kind=kind,
            pseudonym=whose,
        )
    return entry


def remove_identifier(entry: KnownIdentifier, *, actor: Any, request: HttpRequest | None) -> KnownIdentifier:
    """Take an entry out of the register; it is kept, marked removed, and the check no longer uses it.

    Removing it again changes nothing and records nothing.
    """
    with transaction.atomic():
        current = locked(entry.review, version=None, allowed=lambda r: access.can_keep_register(actor, r))
        row = KnownIdentifier.objects.select_for_update().get(pk=entry.pk)
        if row.removed_at is not None:
            # Already removed (a second click): nothing to do.
            return row
        row.removed_at = timezone.now()
        row.save(update_fields=["removed_at"])
        record_change(
            "reports.register_removed",
            actor=actor,
            review=current,
            target=row,
            request=request,
            kind=row.kind,
            pseudonym=row.pseudonym,
        )
    return row


def reveal_identifier(entry: KnownIdentifier, *, actor: Any, request: HttpRequest | None) -> str:
    """Return an entry's real value; each reveal is audited."""
    if not access.can_keep_register(actor, entry.review):
        raise PermissionDenied
    with transaction.atomic():
        record_change(
            "reports.register_revealed",
            actor=actor,
            review=entry.review,
            target=entry,
            request=request,
            kind=entry.kind,
            pseudonym=entry.pseudonym,
        )
    return entry.value()
