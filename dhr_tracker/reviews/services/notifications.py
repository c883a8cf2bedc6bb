"""Recording a notification of a death, the people involved, and spotting duplicates."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest

from dhr_tracker import blindindex
from dhr_tracker.accounts.models import Partnership
from dhr_tracker.reviews import access
from dhr_tracker.reviews.models import Person, PersonRole, Review
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change

# The notification's own fields, as forms give them; people are given apart.
NOTIFICATION_FIELDS = (
    "reference",
    "notified_on",
    "notifier_kind",
    "notifier_name",
    "died_on",
    "death_type",
    "coroner_involved",
    "relationship",
    "relationship_detail",
    "police_force",
    "senior_investigating_officer",
    "criminal_status",
    "other_partnerships",
)


@dataclass(frozen=True)
class PersonLine:
    role: str
    pseudonym: str
    name: str
    birth_date: date | None
    address: str


@dataclass(frozen=True)
class Match:
    """An earlier notification that looks like the same death."""

    reference: str
    partnership: str
    review_id: int | None  # None when it belongs to another partnership: not shown
    reason: str


def suggest_reference(partnership: Partnership, today: date) -> str:
    """Return the next free reference like ``DHR-2026-03`` for the partnership's review type."""
    prefix = f"{partnership.review_type_label}-{today.year}-"
    taken = set(
        Review.objects.filter(partnership=partnership, reference__startswith=prefix).values_list("reference", flat=True)
    )
    number = len(taken) + 1
    while f"{prefix}{number:02d}" in taken:
        number += 1
    return f"{prefix}{number:02d}"


def _check_dates(fields: dict[str, Any]) -> None:
    check_not_future(fields["notified_on"], "notified_on", "The date notified")
    check_not_future(fields["died_on"], "died_on", "The date of death")
    check_not_before(
        fields["notified_on"],
        fields["died_on"],
        "notified_on",
        "The date notified must be on or after the date of death",
    )


def _check_people(people: list[PersonLine], died_on: date) -> None:
    if not any(line.role == PersonRole.VICTIM for line in people):
        raise ValidationError({"people": "Enter the person who died (the victim)"})
    if sum(line.role == PersonRole.VICTIM for line in people) > 1:
        raise ValidationError({"people": "Record one victim per notification; notify each death separately"})
    pseudonyms = [line.pseudonym.strip().casefold() for line in people]
    if len(set(pseudonyms)) != len(pseudonyms):
        raise ValidationError({"people": "Give each person a different pseudonym"})
    for line in people:
        _check_person(line, died_on, field="people")


def _check_person(line: PersonLine, died_on: date, *, field: str) -> None:
    check_not_future(line.birth_date, field, f"{line.pseudonym}: the date of birth")
    if line.role == PersonRole.VICTIM and line.birth_date is not None and line.birth_date > died_on:
        raise ValidationError({field: f"{line.pseudonym}: the date of birth must be before the date of death"})


def find_duplicates(
    *, victim: PersonLine, died_on: date, partnership_id: int, exclude: int | None = None
) -> list[Match]:
    """Earlier notifications whose victim has the same name and date of birth, or name and date of death."""
    name = blindindex.name_index(victim.name)
    if not name:
        return []
    birth = blindindex.date_index(victim.birth_date)
    same = Q(review__died_on=died_on)
    if birth:
        same |= Q(birth_date_index=birth)
    found = (
        Person.objects.filter(same, role=PersonRole.VICTIM, name_index=name)
        .exclude(review_id=exclude or 0)
        .select_related("review__partnership")
        .order_by("review__notified_on")
    )
    matches = []
    for person in found:
        review = person.review
        reason = (
            "the same name and date of birth"
            if birth and person.birth_date_index == birth
            else "the same name and date of death"
        )
        own = review.partnership_id == partnership_id
        matches.append(
            Match(review.reference if own else "", review.partnership.name, review.pk if own else None, reason)
        )
    return matches


def _new_person(review: Review, line: PersonLine, *, actor: Any) -> Person:
    person = Person(review=review, role=line.role, pseudonym=line.pseudonym.strip(), added_by=actor)
    person.seal("name", line.name.strip())
    person.seal("birth_date", line.birth_date.isoformat() if line.birth_date else "")
    person.seal("address", line.address.strip())
    person.name_index = blindindex.name_index(line.name)
    person.birth_date_index = blindindex.date_index(line.birth_date)
    person.save()
    return person


def record_notification(
    *,
    actor: Any,
    partnership_id: int,
    fields: dict[str, Any],
    place_of_death: str,
    people: list[PersonLine],
    not_a_duplicate: bool,
    request: HttpRequest | None,
) -> Review:
    """Record a death notified to the partnership; refuse a likely duplicate unless confirmed."""
    if not access.can_notify(actor, partnership_id):
        raise PermissionDenied
    _check_dates(fields)
    _check_people(people, fields["died_on"])
    victim = next(line for line in people if line.role == PersonRole.VICTIM)
    matches = find_duplicates(victim=victim, died_on=fields["died_on"], partnership_id=partnership_id)
    if matches and not not_a_duplicate:
        listed = "; ".join(f"{m.reference or 'a notification'} of {m.partnership} ({m.reason})" for m in matches)
        raise ValidationError(
            {
                "not_a_duplicate": f"This death may already be notified: {listed}. "
                "If it is a different death, tick the box to confirm and save again"
            }
        )
    try:
        with transaction.atomic():
            review = Review(
                partnership_id=partnership_id, created_by=actor, **{name: fields[name] for name in NOTIFICATION_FIELDS}
            )
            review.place_of_death = place_of_death.strip()
            review.save()
            for line in people:
                _new_person(review, line, actor=actor)
            record_change(
                "reviews.notified",
                actor=actor,
                review=review,
                request=request,
                people=len(people),
                possible_duplicates=len(matches),
            )
    except IntegrityError:
        raise ValidationError({"reference": "This partnership already has a review with this reference"}) from None
    return review


def update_notification(
    review: Review,
    *,
    actor: Any,
    fields: dict[str, Any],
    place_of_death: str,
    version: int,
    request: HttpRequest | None,
) -> Review:
    """Change the notification's details; refused if someone else saved since the form was opened."""
    _check_dates(fields)
    if review.decided_on is not None:
        check_not_before(
            review.decided_on,
            fields["notified_on"],
            "notified_on",
            "The date notified must be on or before the decision date",
        )
    try:
        with transaction.atomic():
            current = locked(review, version=version, allowed=lambda r: access.can_edit_notification(actor, r))
            changed = [name for name in NOTIFICATION_FIELDS if getattr(current, name) != fields[name]]
            for name in NOTIFICATION_FIELDS:
                setattr(current, name, fields[name])
            if current.place_of_death != place_of_death.strip():
                changed.append("place_of_death")
                current.place_of_death = place_of_death.strip()
            current.save()
            record_change("reviews.notification_changed", actor=actor, review=current, request=request, fields=changed)
    except IntegrityError:
        raise ValidationError({"reference": "This partnership already has a review with this reference"}) from None
    return current


def add_person(review: Review, *, actor: Any, line: PersonLine, request: HttpRequest | None) -> Person:
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_edit_notification(actor, r))
        if line.role == PersonRole.VICTIM and current.people.filter(role=PersonRole.VICTIM).exists():
            raise ValidationError({"role": "This review already has a victim; notify each death separately"})
        if current.people.filter(pseudonym__iexact=line.pseudonym.strip()).exists():
            raise ValidationError({"pseudonym": "Another person in this review has this pseudonym"})
        _check_person(line, current.died_on, field="birth_date")
        person = _new_person(current, line, actor=actor)
        record_change(
            "reviews.person_added",
            actor=actor,
            review=current,
            request=request,
            role=line.role,
            pseudonym=person.pseudonym,
        )
    return person


def reveal_people(review: Review, *, actor: Any, request: HttpRequest | None) -> list[dict[str, Any]]:
    """Return the real details of the people in the review; each reveal is audited."""
    if not access.can_reveal_identities(actor, review):
        raise PermissionDenied
    people = list(review.people.all())
    with transaction.atomic():
        record_change("reviews.identities_revealed", actor=actor, review=review, request=request, people=len(people))
    return [
        {
            "person": person,
            "name": person.unseal("name"),
            "birth_date": person.birth_date,
            "address": person.unseal("address"),
        }
        for person in people
    ]
