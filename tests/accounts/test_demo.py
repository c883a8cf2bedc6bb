"""The demo partnership and the demo code command."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from dhr_tracker.accounts.demo import DEMO_PASSWORD, DEMO_SPACE
from dhr_tracker.accounts.models import Agency, AgencyMembership, Partnership, PartnershipRole, TOTPDevice, User
from sharing import access
from sharing.models import Protocol, Space, SpaceMember
from tests.accounts.helpers import enter_code, sign_in

pytestmark = pytest.mark.django_db

MODELS = (User, Partnership, Agency, PartnershipRole, AgencyMembership, Protocol, Space, SpaceMember)


def test_seed_demo_is_idempotent_and_prints_how_to_sign_in() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = [model.objects.count() for model in MODELS]
    call_command("seed_demo", stdout=StringIO())
    assert [model.objects.count() for model in MODELS] == counts
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    assert "csp-chair@exampleshire.example" in text
    assert "manage.py demo_code" in text
    roles = set(PartnershipRole.objects.values_list("role", flat=True))
    assert roles == {"csp_chair", "csp_coordinator", "auditor"}


def test_demo_code_lets_a_new_user_enrol_and_sign_in() -> None:
    call_command("seed_demo", stdout=StringIO())
    client = Client()
    assert sign_in(client, "csp-chair@exampleshire.example", DEMO_PASSWORD)["Location"].startswith(
        "/two-factor/set-up/"
    )
    client.get("/two-factor/set-up/")
    out = StringIO()
    call_command("demo_code", "CSP-Chair@exampleshire.example", stdout=out)
    assert client.post("/two-factor/set-up/", {"code": out.getvalue().strip()}).status_code == 200
    assert client.get("/").status_code == 200
    # Later sign-ins use the confirmed app's code.
    later = Client()
    sign_in(later, "csp-chair@exampleshire.example", DEMO_PASSWORD)
    device = TOTPDevice.objects.get(user__email="csp-chair@exampleshire.example")
    device.last_t = -1
    device.save()
    out = StringIO()
    call_command("demo_code", "csp-chair@exampleshire.example", stdout=out)
    assert enter_code(later, out.getvalue().strip()).status_code == 302


def test_demo_code_explains_a_user_without_an_authenticator() -> None:
    call_command("seed_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="Sign in with the password first"):
        call_command("demo_code", "police@exampleshire.example")


@pytest.mark.parametrize("command", [["seed_demo"], ["demo_code", "csp-chair@exampleshire.example"]])
def test_demo_commands_refuse_production(settings: Any, command: list[str]) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never runs in production"):
        call_command(*command)


def test_demo_contributors_can_upload_to_the_demo_space_straight_away() -> None:
    call_command("seed_demo", stdout=StringIO())

    (protocol,) = Protocol.objects.all()
    space = Space.objects.get(name=DEMO_SPACE)
    assert protocol.in_force()
    police = User.objects.get(email="police@exampleshire.example")
    outsider = User.objects.get(email="outsider@exampleshire.example")
    assert access.can_upload(police, space)
    assert not access.can_upload(outsider, space)
