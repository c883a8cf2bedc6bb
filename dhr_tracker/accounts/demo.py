"""The fictional demo partnership: agencies, one user for each role, and a space to share documents in.

Used by ``manage.py seed_demo`` in the embedded default only. Everything here is invented.
"""

from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from dhr_tracker.accounts import events
from dhr_tracker.accounts.models import (
    Agency,
    AgencyKind,
    AgencyMembership,
    Nation,
    Partnership,
    PartnershipRole,
    PartnershipRoleKind,
    User,
)
from sharing.dates import add_months
from sharing.models import Classification, LegalBasis, Protocol
from sharing.services import protocols as sharing

# Sent inside seed()'s transaction, so other apps (reviews) add their demo records without accounts importing them.
demo_seeded = Signal()

# Published on purpose: the demo runs only in the embedded default (seed_demo refuses production).
DEMO_PASSWORD = "demo-sign-in-2026!"  # noqa: S105
DOMAIN = "exampleshire.example"


@dataclass(frozen=True)
class Persona:
    email: str
    full_name: str
    description: str
    partnership: str | None = None
    role: str | None = None
    agency: str | None = None
    site_admin: bool = False


PARTNERSHIPS = (
    ("Exampleshire Community Safety Partnership", "exampleshire", "Exampleshire County Council", Nation.ENGLAND, "DHR"),
    (
        "Otherborough Community Safety Partnership",
        "otherborough",
        "Otherborough Borough Council",
        Nation.ENGLAND,
        "DARDR",
    ),
)

AGENCIES = (
    ("Exampleshire Police", AgencyKind.POLICE, True),
    ("Exampleshire County Council Adult Social Care", AgencyKind.ADULT_SOCIAL_CARE, True),
    ("Exampleshire County Council Children's Services", AgencyKind.CHILDRENS_SOCIAL_CARE, True),
    ("Exampleshire Homes", AgencyKind.HOUSING, False),
    ("Exampleshire Hospitals NHS Foundation Trust", AgencyKind.HEALTH_TRUST, False),
    ("Exampleshire Integrated Care Board", AgencyKind.ICB_GP, True),
    ("Exampleshire Ambulance Service", AgencyKind.AMBULANCE, False),
    ("Exampleshire Mental Health Partnership Trust", AgencyKind.MENTAL_HEALTH, False),
    ("Probation Service, Exampleshire", AgencyKind.PROBATION, True),
    ("Exampleshire Fire and Rescue Service", AgencyKind.FIRE_RESCUE, True),
    ("Exampleshire Recovery Service", AgencyKind.DRUG_ALCOHOL, False),
    ("Exampleshire Domestic Abuse Service", AgencyKind.DOMESTIC_ABUSE, False),
    ("Exampleshire Independent Review Chairs", AgencyKind.OTHER, False),
)

EXAMPLESHIRE = PARTNERSHIPS[0][0]
OTHERBOROUGH = PARTNERSHIPS[1][0]

PERSONAS = (
    Persona(
        f"site-admin@{DOMAIN}", "Sam Admin", "service administrator (people and agencies, no reviews)", site_admin=True
    ),
    Persona(
        f"csp-chair@{DOMAIN}", "Chris Chair", "CSP chair of Exampleshire", EXAMPLESHIRE, PartnershipRoleKind.CSP_CHAIR
    ),
    Persona(
        f"coordinator@{DOMAIN}",
        "Cora Coordinator",
        "CSP coordinator of Exampleshire",
        EXAMPLESHIRE,
        PartnershipRoleKind.CSP_COORDINATOR,
    ),
    Persona(f"auditor@{DOMAIN}", "Aud Itor", "auditor of Exampleshire", EXAMPLESHIRE, PartnershipRoleKind.AUDITOR),
    Persona(f"police@{DOMAIN}", "Pat Police", "contributor for Exampleshire Police", agency="Exampleshire Police"),
    Persona(
        f"health@{DOMAIN}",
        "Harper Health",
        "contributor for the hospitals trust",
        agency="Exampleshire Hospitals NHS Foundation Trust",
    ),
    Persona(
        f"independent-chair@{DOMAIN}",
        "Indy Chair",
        "independent chair of review DHR-2025-07",
        agency="Exampleshire Independent Review Chairs",
    ),
    Persona(
        f"outsider@{DOMAIN}",
        "Olly Outsider",
        "CSP chair of Otherborough (sees nothing of Exampleshire)",
        OTHERBOROUGH,
        PartnershipRoleKind.CSP_CHAIR,
    ),
)


def seed() -> list[Persona]:
    """Create or update the demo data; running it again changes nothing further."""
    with transaction.atomic():
        partnerships = {}
        for name, slug, authority, nation, label in PARTNERSHIPS:
            partnerships[name], _ = Partnership.objects.update_or_create(
                slug=slug,
                defaults={"name": name, "local_authority": authority, "nation": nation, "review_type_label": label},
            )
        agencies = {}
        for name, kind, responsible in AGENCIES:
            agencies[name], _ = Agency.objects.update_or_create(
                name=name, defaults={"kind": kind, "is_responsible_authority": responsible}
            )
            agencies[name].partnerships.add(partnerships[EXAMPLESHIRE])
        for persona in PERSONAS:
            user = User.objects.filter(email=persona.email).first() or User(email=persona.email)
            user.full_name = persona.full_name
            user.is_site_admin = persona.site_admin
            user.is_active = True
            user.set_password(DEMO_PASSWORD)
            user.save()
            if persona.partnership and persona.role:
                PartnershipRole.objects.get_or_create(
                    user=user, partnership=partnerships[persona.partnership], role=persona.role, revoked_at=None
                )
            if persona.agency:
                AgencyMembership.objects.get_or_create(
                    user=user,
                    agency=agencies[persona.agency],
                    ended_at=None,
                    defaults={"job_title": "Safeguarding lead"},
                )
        _seed_sharing(partnerships[EXAMPLESHIRE], agencies)
        demo_seeded.send(sender=Partnership, partnership=partnerships[EXAMPLESHIRE])
        events.emit("demo.seeded", outcome=events.ALLOWED)
    return list(PERSONAS)


DEMO_PROTOCOL = "Exampleshire DHR information-sharing protocol"
DEMO_SPACE = "Demo review DHR-2026-01"


def _seed_sharing(partnership: Partnership, agencies: dict[str, Agency]) -> None:
    """An active protocol between the police, the hospitals trust and the independent chairs, and a space to try uploads in."""
    if Protocol.objects.filter(scope=partnership, title=DEMO_PROTOCOL).exists():
        return
    coordinator = User.objects.get(email=f"coordinator@{DOMAIN}")
    police, health = User.objects.get(email=f"police@{DOMAIN}"), User.objects.get(email=f"health@{DOMAIN}")
    chair = User.objects.get(email=f"independent-chair@{DOMAIN}")
    police_agency, health_agency, chairs_agency = (
        agencies["Exampleshire Police"],
        agencies["Exampleshire Hospitals NHS Foundation Trust"],
        agencies["Exampleshire Independent Review Chairs"],
    )
    today = timezone.localdate()
    protocol = sharing.draft_protocol(
        actor=coordinator,
        scope_id=partnership.pk,
        fields={
            "title": DEMO_PROTOCOL,
            "purposes": "Sharing agency records with the panel of domestic homicide reviews in Exampleshire.",
            "legal_bases": [LegalBasis.DVCVA_2004_S9, LegalBasis.UK_GDPR_6_1_E, LegalBasis.UK_GDPR_9_2_G],
            "legal_basis_other": "",
            "max_classification": Classification.OFFICIAL_SENSITIVE,
            "data_categories": "Police records, health records, chronologies and IMRs",
            "retention_months": 36,
            "valid_from": today,
            "valid_to": add_months(today, 24),
            "review_date": add_months(today, 12),
        },
        parties=[
            sharing.PartyLine(police_agency.pk, police.pk, "Head of Information Management"),
            sharing.PartyLine(health_agency.pk, health.pk, "Caldicott Guardian"),
            sharing.PartyLine(chairs_agency.pk, chair.pk, "Director"),
        ],
        request=None,
    )
    for party in protocol.parties.select_related("protocol"):
        sharing.sign_protocol(party, actor=party.signatory, request=None)
    space = sharing.create_space(protocol, actor=coordinator, name=DEMO_SPACE, request=None)
    sharing.add_member(space, actor=coordinator, user_id=police.pk, party_id=police_agency.pk, request=None)
    sharing.add_member(space, actor=coordinator, user_id=health.pk, party_id=health_agency.pk, request=None)
