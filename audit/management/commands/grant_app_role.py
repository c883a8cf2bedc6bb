from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.roles import GrantRefused, grant_application_role


class Command(BaseCommand):
    help = (
        "Grant the application's database role its privileges: read and write on the domain tables, only "
        "INSERT and SELECT on the append-only audit tables. Run it as the tables' owner after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the web processes and workers connect as, e.g. dhr_app")
        parser.add_argument("--actor", help="e-mail of the person deploying, recorded in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(email__iexact=options["actor"], is_active=True).first()
            if actor is None:
                raise CommandError(
                    f"No active user has the e-mail {options['actor']!r}; correct --actor or leave it out."
                )
        try:
            report = grant_application_role(options["role"], actor=actor)
        except GrantRefused as refusal:
            raise CommandError(f"{refusal} Nothing was granted.") from refusal
        self.stdout.write(
            self.style.SUCCESS(
                f"Granted {report.role} (schema {report.schema}): read and write on {len(report.read_write)} tables; "
                f"INSERT and SELECT only on {', '.join(report.append_only)}; SELECT only on "
                f"{', '.join(report.read_only)}; USAGE and SELECT on {report.sequences} sequences."
            )
        )
