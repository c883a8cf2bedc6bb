"""The application's database role: it reads and writes the domain, and can only add to the audit trail."""

import secrets
import subprocess
from collections.abc import Iterator, Sequence
from typing import Any, LiteralString

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEvent
from audit.roles import quote_identifier
from audit.triggers import TABLES as APPEND_ONLY_TABLES
from dhr_tracker.accounts.models import Partnership
from tests.deploy.conftest import PYTHON, REPO
from tests.subprocesses import app_environment, database_url

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles exist only on PostgreSQL")

AS_THE_APP = """
from django.db import transaction
from audit.chaining import chain_pending
from audit.models import Outcome
from audit.trail import record
from dhr_tracker.accounts.models import Partnership
with transaction.atomic():
    record("deploy.app_role_checked", outcome=Outcome.ALLOWED, target_label="written as the application role")
    Partnership.objects.filter(pk={pk}).update(name="Renamed by the application role")
chain_pending()
"""


def execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def make_role() -> Iterator[Any]:
    """Create throwaway login roles (unique names), dropped with all they hold afterwards."""
    made: list[str] = []

    def make(options: str = "LOGIN") -> str:
        role = f"dhr_test_role_{secrets.token_hex(4)}"
        execute(f"CREATE ROLE {role} {options}")
        made.append(role)
        return role

    yield make
    for role in made:
        execute(f"DROP OWNED BY {role}")
        execute(f"DROP ROLE {role}")


def connect_as(role: str) -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"], user=role, autocommit=True
    )


def refusal(conn: psycopg.Connection[Any], sql: LiteralString, params: Sequence[object] = ()) -> str:
    """What the database says to ``sql``: "allowed", or the first line of its refusal."""
    try:
        conn.execute(sql, params)
    except psycopg.Error as error:
        return str(error).split("\n")[0]
    return "allowed"


def privileges(role: str, table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s AND table_name = %s",
            [role, table],
        )
        return {row[0] for row in cursor.fetchall()}


# The application's role connects separately, so it must see committed rows.
@pytest.mark.django_db(transaction=True)
def test_the_application_role_writes_the_domain_and_only_adds_to_the_audit_trail(personas: Any, make_role: Any) -> None:
    role = make_role()

    call_command("grant_app_role", role)

    # The application's own code, connected as the role: an event recorded and chained, a row changed.
    pk = personas.partnership.pk
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", AS_THE_APP.format(pk=pk)],
        cwd=REPO,
        env=app_environment(database=database_url(user=role)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert AuditEvent.objects.filter(action="deploy.app_role_checked").exists()
    assert Partnership.objects.get(pk=pk).name == "Renamed by the application role"

    with connect_as(role) as conn:
        outcomes = {
            sql: refusal(conn, sql)
            for sql in (
                "UPDATE audit_auditevent SET action = 'hidden'",
                "DELETE FROM audit_pendingevent",
                "TRUNCATE auditlog_logentry",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_checkpoint_append_only ON audit_checkpoint",
                "DROP TABLE audit_verificationrun",
                "DELETE FROM django_migrations",
                "TRUNCATE accounts_partnership CASCADE",
            )
        }
        domain_update = refusal(conn, "UPDATE accounts_partnership SET name = 'Renamed again' WHERE id = %s", [pk])
    # Refused for want of privilege, before the triggers are even reached.
    assert outcomes == {
        "UPDATE audit_auditevent SET action = 'hidden'": "permission denied for table audit_auditevent",
        "DELETE FROM audit_pendingevent": "permission denied for table audit_pendingevent",
        "TRUNCATE auditlog_logentry": "permission denied for table auditlog_logentry",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL": "must be owner of table audit_auditevent",
        "DROP TRIGGER audit_checkpoint_append_only ON audit_checkpoint": "must be owner of relation audit_checkpoint",
        "DROP TABLE audit_verificationrun": "must be owner of table audit_verificationrun",
        "DELETE FROM django_migrations": "permission denied for table django_migrations",
        "TRUNCATE accounts_partnership CASCADE": "permission denied for table accounts_partnership",
    }
    assert domain_update == "allowed"
    assert Partnership.objects.get(pk=pk).name == "Renamed again"
    granted = AuditEvent.objects.get(action="audit.app_role_granted")
    assert granted.target_label == role
    assert sorted(granted.details["append_only_tables"]) == sorted(APPEND_ONLY_TABLES)


def test_running_it_again_takes_back_what_was_granted_by_hand(db: None, make_role: Any) -> None:
    role = make_role()
    call_command("grant_app_role", role)
    execute(f"GRANT ALL ON audit_auditevent, accounts_partnership TO {role}")
    assert "TRUNCATE" in privileges(role, "audit_auditevent")

    call_command("grant_app_role", role)

    assert privileges(role, "audit_auditevent") == {"SELECT", "INSERT"}
    assert privileges(role, "accounts_partnership") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert privileges(role, "django_migrations") == {"SELECT"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (None, "no database role named"),
        ("LOGIN SUPERUSER", "is a superuser"),
        ("OWNS_A_TABLE", "owns, or is a member of a role that owns, 1 relations"),
    ],
)
def test_roles_that_could_escape_the_grants_are_refused(
    db: None, make_role: Any, options: str | None, message: str
) -> None:
    if options is None:
        role = "dhr_test_role_nobody"
    elif options == "OWNS_A_TABLE":
        role = make_role()
        execute(f"CREATE TABLE deploy_probe (id int); ALTER TABLE deploy_probe OWNER TO {role}")
    else:
        role = make_role(options)

    with pytest.raises(CommandError, match=message) as refused:
        call_command("grant_app_role", role)

    assert "Nothing was granted" in str(refused.value)
    assert privileges(role, "audit_auditevent") == set()
    assert not AuditEvent.objects.filter(action="audit.app_role_granted").exists()


def test_the_owner_cannot_name_itself(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (me,) = cursor.fetchone()

    with pytest.raises(CommandError, match="is the role running this command"):
        call_command("grant_app_role", me)


def test_quoting_keeps_a_hostile_role_name_one_identifier() -> None:
    assert quote_identifier('app"; DROP TABLE x; --') == '"app""; DROP TABLE x; --"'
