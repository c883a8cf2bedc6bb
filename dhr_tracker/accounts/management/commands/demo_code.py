from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dhr_tracker.accounts.models import TOTPDevice, normalise_email


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo account (embedded default only, never in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_code would defeat two-factor sign-in; it never runs in production.")
        email = normalise_email(options["email"])
        # A confirmed app first; otherwise the one being set up on the enrolment page now.
        device = TOTPDevice.objects.filter(user__email=email).order_by("-confirmed", "-created_at").first()
        if device is None:
            raise CommandError(
                f"{email} has no authenticator yet. Sign in with the password first: the set-up page creates one."
            )
        self.stdout.write(f"{device.totp().token():06d}")
