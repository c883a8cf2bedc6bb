"""factory_boy factories for the accounts models."""

import factory

from dhr_tracker.accounts.models import (
    Agency,
    AgencyKind,
    AgencyMembership,
    Partnership,
    PartnershipRole,
    PartnershipRoleKind,
    User,
)

PASSWORD = "a-long-test-passphrase-41"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@agency.example")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    password = factory.django.Password(PASSWORD)


class PartnershipFactory(factory.django.DjangoModelFactory[Partnership]):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Partnership {n} Community Safety Partnership")
    slug = factory.Sequence(lambda n: f"partnership-{n}")
    local_authority = factory.Sequence(lambda n: f"Council {n}")


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = AgencyKind.POLICE


class PartnershipRoleFactory(factory.django.DjangoModelFactory[PartnershipRole]):
    class Meta:
        model = PartnershipRole

    user = factory.SubFactory(UserFactory)
    partnership = factory.SubFactory(PartnershipFactory)
    role = PartnershipRoleKind.CSP_COORDINATOR


class AgencyMembershipFactory(factory.django.DjangoModelFactory[AgencyMembership]):
    class Meta:
        model = AgencyMembership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    job_title = "Safeguarding lead"
