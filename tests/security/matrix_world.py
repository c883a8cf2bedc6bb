"""The world of the security access matrix: two partnerships sharing documents, and their people.

- Exampleshire: the personas of ``tests/conftest.py``; the sharing ``world`` of
  ``tests/sharing/conftest.py`` (agencies A and B party to an active protocol, contributors A and
  B members of its space); a colleague of contributor A who works for agency A but is not a member
  of the space; a second protocol, still an unsigned draft. Contributor A's document is shared with
  contributor B by a grant; contributor B's is shared with nobody.
- Otherborough (the outsider chairs it): agencies C and D party to an active protocol; agency C's
  officer (``other_member``) is a member of its space and owns a document shared with agency D.
- The audit trail holds each partnership's upload events.

Everything is made through the services, as users would make it.
"""

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model
from django.test import TestCase
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.chaining import chain_pending
from audit.models import AuditEvent, Outcome, PendingEvent
from dhr_tracker.accounts import services as account_services
from dhr_tracker.accounts.models import AgencyMembership, PartnershipRole, User
from sharing.models import Classification, Document, Space, SpaceMember
from sharing.services import documents
from sharing.services import protocols as services
from tests.factories import AgencyFactory, AgencyMembershipFactory, UserFactory
from tests.reports.matrix_helpers import table_digest
from tests.sharing.conftest import World, protocol_fields
from tests.sharing.samples import sample

PROTOCOL_A = "Exampleshire DHR information sharing"
DRAFT_A = "Exampleshire sharing, next version"
PROTOCOL_B = "Otherborough DHR information sharing"
SPACE_A = "Review 2026-01"
SPACE_B = "Otherborough review 2026-07"


@dataclass
class Matrix:
    """The people by role; the URL parameters (and query strings) of each object, by its name; and
    the text by which a list shows an object."""

    users: dict[str, User]
    objects: dict[str, dict[str, Any]]
    queries: dict[str, str]
    labels: dict[str, str]


def _document(space: Space, actor: User, title: str) -> Document:
    """A PDF uploaded by ``actor`` and stored, as the upload page and its task would."""
    upload = documents.receive_bytes(sample("pdf"), f"{title}.pdf")
    fields = documents.DocumentFields(
        title=title, description="", classification=Classification.OFFICIAL, access_expires_at=None
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return documents.upload_document(space, actor=actor, fields=fields, upload=upload, request=None)


def _otherborough(world: World) -> dict[str, Any]:
    """Otherborough's protocol, space, member and document shared with agency D."""
    personas = world.personas
    other = personas.other_partnership
    agency_c = AgencyFactory.create(name="Agency C Otherborough Council")
    agency_d = AgencyFactory.create(name="Agency D Otherborough Housing")
    member = UserFactory.create(email="officer@agency-c.example", full_name="Otherborough Officer")
    officer_d = UserFactory.create(email="officer@agency-d.example")
    for agency, person in ((agency_c, member), (agency_d, officer_d)):
        agency.partnerships.add(other)
        AgencyMembershipFactory.create(user=person, agency=agency)
    protocol = services.draft_protocol(
        actor=personas.outsider,
        scope_id=other.pk,
        fields=protocol_fields(title=PROTOCOL_B),
        parties=[
            services.PartyLine(agency_c.pk, member.pk, "Data Protection Officer"),
            services.PartyLine(agency_d.pk, officer_d.pk, "Data Protection Officer"),
        ],
        request=None,
    )
    signed = World(personas, agency_c, agency_d, protocol).sign_all()
    space = services.create_space(signed, actor=personas.outsider, name=SPACE_B, request=None)
    membership = services.add_member(
        space, actor=personas.outsider, user_id=member.pk, party_id=agency_c.pk, request=None
    )
    document = _document(space, member, "Otherborough housing records")
    grant = documents.grant_access(document, actor=member, party_id=agency_d.pk, request=None)
    return {
        "member": member,
        "protocol": protocol,
        "party": protocol.parties.get(party=agency_c),
        "space": space,
        "space_member": membership,
        "document": document,
        "grant": grant,
        "officer_d": officer_d,
    }


def build(world: World) -> Matrix:
    """One of everything in each partnership, and the people, by role."""
    personas = world.personas
    space = world.space()
    protocol = world.protocol
    colleague = UserFactory.create(email="colleague@agency-a.example")
    colleague_membership = AgencyMembershipFactory.create(user=colleague, agency=world.agency_a)
    draft = services.draft_protocol(
        actor=personas.coordinator,
        scope_id=personas.partnership.pk,
        fields=protocol_fields(title=DRAFT_A),
        parties=[
            services.PartyLine(world.agency_a.pk, personas.contributor_a.pk, "Data Protection Officer"),
            services.PartyLine(world.agency_b.pk, personas.contributor_b.pk, "Caldicott Guardian"),
        ],
        request=None,
    )
    doc_a = _document(space, personas.contributor_a, "Police chronology")
    doc_b = _document(space, personas.contributor_b, "Health records")
    grant_a = documents.grant_access(
        doc_a, actor=personas.contributor_a, user_id=personas.contributor_b.pk, request=None
    )
    other = _otherborough(world)
    doc_c = other["document"]
    # A person who has started setting up an authenticator: their set-up page reuses it.
    account_services.start_totp_enrolment(actor=personas.unverified)
    chain_pending()
    uploaded = AuditEvent.objects.filter(action="sharing.document_uploaded", outcome=Outcome.ALLOWED)
    users = {
        "csp_chair": personas.csp_chair,
        "coordinator": personas.coordinator,
        "auditor": personas.auditor,
        "contributor_a": personas.contributor_a,
        "contributor_b": personas.contributor_b,
        "colleague_a": colleague,
        "other_member": other["member"],
        "site_admin": personas.site_admin,
        "outsider": personas.outsider,
        "unverified": personas.unverified,
        "chair_password_only": personas.csp_chair,
    }

    def version(document: Document) -> dict[str, Any]:
        return {"document_id": document.pk, "version_id": document.versions.get().pk}

    def hold(document: Document) -> dict[str, Any]:
        return {"space_id": document.space_id, "document_id": document.pk}

    # A reset link for someone who never signs in here: signing in would make its token stale.
    reader = other["officer_d"]
    reader_uid = urlsafe_base64_encode(force_bytes(reader.pk))
    objects: dict[str, dict[str, Any]] = {
        # Sharing.
        "protocol_a": {"protocol_id": protocol.pk},
        "draft_a": {"protocol_id": draft.pk},
        "protocol_b": {"protocol_id": other["protocol"].pk},
        "party_a": {"protocol_id": protocol.pk, "party_id": protocol.parties.get(party=world.agency_a).pk},
        "draft_party_a": {"protocol_id": draft.pk, "party_id": draft.parties.get(party=world.agency_a).pk},
        "party_c": {"protocol_id": other["protocol"].pk, "party_id": other["party"].pk},
        "space_a": {"space_id": space.pk},
        "space_b": {"space_id": other["space"].pk},
        "member_b": {
            "space_id": space.pk,
            "member_id": SpaceMember.objects.get(space=space, user=personas.contributor_b).pk,
        },
        "member_c": {"space_id": other["space"].pk, "member_id": other["space_member"].pk},
        "hold_a": hold(doc_a),
        "hold_c": hold(doc_c),
        "doc_a": {"document_id": doc_a.pk},
        "doc_b": {"document_id": doc_b.pk},
        "doc_c": {"document_id": doc_c.pk},
        "version_a": version(doc_a),
        "version_b": version(doc_b),
        "version_c": version(doc_c),
        "grant_a": {"document_id": doc_a.pk, "grant_id": grant_a.pk},
        "grant_c": {"document_id": doc_c.pk, "grant_id": other["grant"].pk},
        # The audit trail.
        "event_a": {"seq": uploaded.get(partnership_id=personas.partnership.pk, target_id=str(doc_a.pk)).seq},
        "event_b": {"seq": uploaded.get(partnership_id=personas.other_partnership.pk).seq},
        "actor_a": {"actor_id": personas.contributor_a.pk},
        "actor_b": {"actor_id": other["member"].pk},
        "target_a": {"target_type": "sharing.document", "target_id": str(doc_a.pk)},
        "target_b": {"target_type": "sharing.document", "target_id": str(doc_c.pk)},
        # Site administration.
        "person_a": {"user_id": colleague.pk},
        "person_b": {"user_id": other["member"].pk},
        "role_a": {"role_id": PartnershipRole.objects.get(user=personas.coordinator).pk},
        "role_b": {"role_id": PartnershipRole.objects.get(user=personas.outsider).pk},
        "membership_a": {"membership_id": colleague_membership.pk},
        "membership_b": {"membership_id": AgencyMembership.objects.get(user=other["member"]).pk},
        # Password reset links: one as e-mailed, one whose token is wrong.
        "reset_link": {"uidb64": reader_uid, "token": default_token_generator.make_token(reader)},
        "stale_link": {"uidb64": reader_uid, "token": "cf3a1z-0123456789abcdef0123456789abcdef"},
        # Statistics, of a partnership chosen in the query string.
        "stats_a": {},
        "stats_b": {},
    }
    objects |= _admin_objects(world, colleague, colleague_membership)
    return Matrix(
        users=users,
        objects=objects,
        queries={
            "stats_a": f"?partnership={personas.partnership.pk}",
            "stats_b": f"?partnership={personas.other_partnership.pk}",
        },
        labels={
            "protocol_a": PROTOCOL_A,
            "draft_a": DRAFT_A,
            "protocol_b": PROTOCOL_B,
            "space_a": SPACE_A,
            "space_b": SPACE_B,
        },
    )


def _admin_objects(world: World, person: User, membership: AgencyMembership) -> dict[str, dict[str, Any]]:
    """The admin's objects, by ``admin:<model label>``: one of each model (the site administrator's
    reach does not depend on the partnership)."""
    personas = world.personas
    partnerships = ContentType.objects.get_for_model(personas.partnership)
    log_entry = apps.get_model("auditlog", "LogEntry").objects.order_by("pk").first()
    assert log_entry is not None, "partnerships, agencies and people are in django-auditlog's history"
    return {
        "admin:accounts.partnership": {"object_id": personas.partnership.pk},
        "admin:accounts.agency": {"object_id": world.agency_a.pk},
        "admin:accounts.user": {"object_id": person.pk},
        "admin:accounts.partnershiprole": {"object_id": PartnershipRole.objects.get(user=personas.coordinator).pk},
        "admin:accounts.agencymembership": {"object_id": membership.pk},
        "admin:auth.group": {"object_id": Group.objects.create(name="Unused").pk},
        "admin:auditlog.logentry": {"object_id": log_entry.pk},
        "admin:view_on_site": {"content_type_id": partnerships.pk, "object_id": personas.partnership.pk},
    }


@dataclass(frozen=True)
class Taken:
    """What a fingerprint found: the audit events recorded since, as (outcome, action), oldest
    first; the last pending event; and the digest of each watched table."""

    events: list[tuple[str, str]]
    last: int
    rows: tuple[Any, ...]

    def actions(self, outcome: str) -> list[str]:
        return [action for found, action in self.events if found == outcome]

    def refusals(self) -> list[str]:
        return [action for found, action in self.events if found != Outcome.ALLOWED]


class Fingerprint:
    """One query that digests every row of the watched tables and lists the audit events recorded
    since a given pending event: cheap enough to take after every request.

    Each table is digested as the other matrices digest theirs (``table_digest``).
    """

    def __init__(self, models: list[type[Model]]) -> None:
        digests = ", ".join(table_digest(model) for model in models)
        pending = connection.ops.quote_name(PendingEvent._meta.db_table)
        if connection.vendor == "postgresql":
            events = f"SELECT string_agg(outcome || ':' || action, ' ' ORDER BY id) FROM {pending} WHERE id > %s"  # noqa: S608
        else:
            events = f"SELECT group_concat(outcome || ':' || action, ' ') FROM (SELECT * FROM {pending} WHERE id > %s ORDER BY id)"  # noqa: S608
        # Table names come from the models (here and above), never from a request.
        self.sql = f"SELECT ({events}), (SELECT max(id) FROM {pending}), {digests}"  # noqa: S608

    def take(self, since: int) -> Taken:
        """The events recorded after pending event ``since``, the last pending event, and the digests."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [since])
            events, last, *digests = cursor.fetchone()
        found = [tuple(event.split(":", 1)) for event in events.split(" ")] if events else []
        return Taken([(outcome, action) for outcome, action in found], last or 0, tuple(digests))


def watched() -> Fingerprint:
    """The rows no request of the matrix may change: every accounts and sharing model's."""
    return Fingerprint(
        [
            *apps.get_app_config("accounts").get_models(include_auto_created=True),
            *apps.get_app_config("sharing").get_models(include_auto_created=True),
        ]
    )
