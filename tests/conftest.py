"""Persona fixtures and signed-in clients.

The personas follow the house pattern: a CSP chair, a coordinator and an auditor of partnership
A; contributors of agency A and of agency B; a site administrator; an outsider who chairs
another partnership; and a user who has given a password but no second factor. Review-level
personas (independent chair, panel member) join when reviews exist.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from audit.chaining import chain_pending
from audit.models import AuditEvent, Outcome, PendingEvent
from dhr_tracker.accounts.models import Partnership, PartnershipRoleKind, TOTPDevice, User, new_totp_secret
from dhr_tracker.accounts.rules import SUDO_SESSION_KEY
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    PartnershipFactory,
    PartnershipRoleFactory,
    UserFactory,
)


@dataclass
class Personas:
    partnership: Partnership
    other_partnership: Partnership
    csp_chair: User
    coordinator: User
    auditor: User
    contributor_a: User
    contributor_b: User
    site_admin: User
    outsider: User
    unverified: User


@pytest.fixture
def personas(db: None) -> Personas:
    partnership = PartnershipFactory.create(name="Exampleshire Community Safety Partnership")
    other = PartnershipFactory.create(name="Otherborough Community Safety Partnership")
    agency_a, agency_b = AgencyFactory.create(name="Agency A Police"), AgencyFactory.create(name="Agency B Health")

    def with_role(role: str, where: Partnership, email: str) -> User:
        user: User = UserFactory.create(email=email)
        PartnershipRoleFactory.create(user=user, partnership=where, role=role)
        return user

    contributor_a = UserFactory.create(email="contributor-a@agency-a.example")
    AgencyMembershipFactory.create(user=contributor_a, agency=agency_a)
    contributor_b = UserFactory.create(email="contributor-b@agency-b.example")
    AgencyMembershipFactory.create(user=contributor_b, agency=agency_b)
    return Personas(
        partnership=partnership,
        other_partnership=other,
        csp_chair=with_role(PartnershipRoleKind.CSP_CHAIR, partnership, "chair@csp.example"),
        coordinator=with_role(PartnershipRoleKind.CSP_COORDINATOR, partnership, "coordinator@csp.example"),
        auditor=with_role(PartnershipRoleKind.AUDITOR, partnership, "auditor@csp.example"),
        contributor_a=contributor_a,
        contributor_b=contributor_b,
        site_admin=UserFactory.create(email="admin@service.example", is_site_admin=True),
        outsider=with_role(PartnershipRoleKind.CSP_CHAIR, other, "chair@otherborough.example"),
        unverified=UserFactory.create(email="new-starter@csp.example"),
    )


def enrol_device(user: User) -> TOTPDevice:
    """Give ``user`` a confirmed authenticator app and return it."""
    device = TOTPDevice(user=user, name="Authenticator app", confirmed=True)
    device.set_secret(new_totp_secret())
    device.save()
    return device


@pytest.fixture
def verified_client() -> Callable[..., Client]:
    """Return a client signed in as ``user`` with a verified second factor."""

    def make(user: User, *, sudo: bool = False) -> Client:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol_device(user)
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        if sudo:
            session[SUDO_SESSION_KEY] = time.time()
        session.save()
        return client

    return make


@pytest.fixture
def password_only_client() -> Callable[[User], Client]:
    """Return a client signed in with a password but no second factor."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@dataclass
class EventLog:
    """The audit events recorded since the test began."""

    since: int

    def rows(self) -> list[AuditEvent]:
        # Events recorded inside a service's transaction are chained once it commits, which a
        # test's own wrapping transaction never does: chain them as the chainer would.
        chain_pending()
        return list(AuditEvent.objects.filter(seq__gt=self.since).order_by("seq"))

    def actions(self) -> list[str]:
        return [event.action for event in self.rows()]

    def find(self, action: str) -> AuditEvent:
        matches = [event for event in self.rows() if event.action == action]
        assert matches, f"no {action} event among {self.actions()}"
        return matches[-1]


@pytest.fixture
def security_events(db: None) -> EventLog:
    """Read the audit trail as it grows during the test."""
    return EventLog(since=AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0)


def newest_event() -> int:
    """A mark to read later events from: the newest recorded so far, chained or not."""
    return PendingEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def allowed_since(mark: int, *, reads: tuple[str, ...] = ()) -> list[str]:
    """The actions of allowed events recorded after ``mark``, but for audited reads (actions ending with ``reads``).

    Every event is recorded as a pending event first, so this reads them without chaining: the
    access matrices ask after each of thousands of requests.
    """
    actions = PendingEvent.objects.filter(id__gt=mark, outcome=Outcome.ALLOWED).order_by("id")
    return [action for action in actions.values_list("action", flat=True) if not (reads and action.endswith(reads))]
