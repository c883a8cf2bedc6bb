"""The crashes the fuzzing found in forms, followed to the pages that read them: each must answer
with a page or a refusal, never a server error.

Superscript digits ("²") pass ``str.isdigit()`` but not ``int()``; a notification posted
with no rows of people; a financial year whose end is past the calendar's last year. An actor id
longer than any integer column is here too, as the boundary beside them that holds.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Personas, enrol_device
from tests.factories import PartnershipRoleFactory

SUPERSCRIPT_TWOS = "\u00b2" * 6


@dataclass(frozen=True)
class Case:
    """Who asks, how, and the answers that are not a crash."""

    client: Callable[[Personas, Callable[..., Client], Callable[..., Client]], Client]
    method: str
    url: Callable[[Personas], str]
    data: dict[str, str]
    answers: tuple[int, ...]


def _signing_in(personas: Personas, verified: Callable[..., Client], password_only: Callable[..., Client]) -> Client:
    enrol_device(personas.coordinator)
    return password_only(personas.coordinator)


def _enrolling(personas: Personas, verified: Callable[..., Client], password_only: Callable[..., Client]) -> Client:
    return password_only(personas.unverified)


def _auditor(personas: Personas, verified: Callable[..., Client], password_only: Callable[..., Client]) -> Client:
    return verified(personas.auditor)


def _chair(personas: Personas, verified: Callable[..., Client], password_only: Callable[..., Client]) -> Client:
    return verified(personas.csp_chair)


def _chair_of_two(personas: Personas, verified: Callable[..., Client], password_only: Callable[..., Client]) -> Client:
    PartnershipRoleFactory.create(user=personas.csp_chair, partnership=personas.other_partnership, role="csp_chair")
    return verified(personas.csp_chair)


def _coordinator(personas: Personas, verified: Callable[..., Client], password_only: Callable[..., Client]) -> Client:
    return verified(personas.coordinator)


CASES = {
    "sign-in code in superscript digits": Case(
        _signing_in, "post", lambda p: reverse("accounts:verify"), {"code": SUPERSCRIPT_TWOS}, (400,)
    ),
    "enrolment code in superscript digits": Case(
        _enrolling, "post", lambda p: reverse("accounts:enrol"), {"code": SUPERSCRIPT_TWOS}, (400,)
    ),
    "audit search for actor ²": Case(_auditor, "get", lambda p: reverse("audit:search"), {"actor": "\u00b2"}, (200,)),
    "audit search for an actor id beyond any integer": Case(
        _auditor, "get", lambda p: reverse("audit:search"), {"actor": "9" * 40}, (200,)
    ),
    "audit search page before ²": Case(
        _auditor, "get", lambda p: reverse("audit:search"), {"before": "\u00b2"}, (200, 400)
    ),
    "statistics of partnership ²": Case(
        _chair, "get", lambda p: reverse("reviews:statistics"), {"partnership": "\u00b2"}, (400, 404)
    ),
    "new protocol in scope ²": Case(
        _chair_of_two, "get", lambda p: reverse("sharing:protocol_new"), {"scope": "\u00b2"}, (200, 400)
    ),
    "ledger of the year 9999-00": Case(
        _chair,
        "get",
        lambda p: reverse("funding:partnership_ledger", args=[p.partnership.pk]),
        {"year": "9999-00"},
        (400,),
    ),
    "notification with no rows of people": Case(
        _coordinator,
        "post",
        lambda p: reverse("reviews:notify"),
        {"people-TOTAL_FORMS": "0", "people-INITIAL_FORMS": "0", "reference": "DHR-1"},
        (400,),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_page_answers_what_broke_its_form_without_a_server_error(
    personas: Personas,
    verified_client: Callable[..., Client],
    password_only_client: Callable[..., Client],
    case: str,
) -> None:
    found = CASES[case]
    client = found.client(personas, verified_client, password_only_client)
    response = getattr(client, found.method)(found.url(personas), found.data)
    assert response.status_code in found.answers
