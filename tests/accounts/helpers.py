"""Helpers for driving the sign-in pages in tests."""

from typing import Any

from django.test import Client

from dhr_tracker.accounts.models import TOTPDevice, User
from tests.factories import PASSWORD


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{device.totp().token():06d}"


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/sign-in/", {"email": email, "password": password}, **extra)


def enter_code(client: Client, code: str) -> Any:
    return client.post("/sign-in/code/", {"code": code})
