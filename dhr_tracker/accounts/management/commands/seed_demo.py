from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dhr_tracker.accounts.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Create the fictional demo partnership, its agencies and one user per role (embedded default only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo makes accounts with a published password; it never runs in production.")
        personas = seed()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Every demo account uses the password:"))
        self.stdout.write(f"    {DEMO_PASSWORD}\n")
        for persona in personas:
            self.stdout.write(f"  {persona.email:<36} {persona.description}")
        self.stdout.write(
            "\nOn first sign-in each account sets up an authenticator app. Without a phone, get the"
            "\ncurrent code in another terminal with:\n"
            "    .venv/bin/python manage.py demo_code EMAIL\n"
        )
