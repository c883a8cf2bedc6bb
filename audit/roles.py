"""The database role the application connects as, and the privileges its tables' owner grants it.

Threat: someone holding the application's database credentials (a compromised web process, a
leaked ``DATABASE_URL``) rewrites or erases the audit trail. The triggers of ``audit.triggers``
refuse UPDATE, DELETE and TRUNCATE, but the owner of a table can always ``ALTER TABLE ... DISABLE
TRIGGER`` or drop it. So one role owns the schema and runs migrations, and the application
connects as another that owns nothing and is granted:

- on the append-only tables (``triggers.TABLES``): SELECT and INSERT only;
- on ``django_migrations``: SELECT only (the application never migrates);
- on every other table: SELECT, INSERT, UPDATE and DELETE (never TRUNCATE, REFERENCES or TRIGGER);
- on every sequence: USAGE and SELECT; on the schema: USAGE.

``grant_application_role`` refuses a role that could escape this: a superuser, the owner itself,
a member of the owner's role, or a role that owns anything in the schema. Each run revokes
everything the role holds on the schema's tables and sequences and grants exactly the above, in
one transaction, so running it after every migrate converges and covers new tables. A database
superuser can still do anything; the hash chain and signed checkpoints catch that.
PostgreSQL only: SQLite has no roles.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from audit.models import Outcome
from audit.trail import record
from audit.triggers import TABLES as APPEND_ONLY_TABLES

READ_ONLY_TABLES = ("django_migrations",)
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY = "SELECT, INSERT"


class GrantRefused(Exception):
    """The grants were not made; the message says why and what to do."""


@dataclass(frozen=True)
class GrantReport:
    role: str
    schema: str
    read_write: tuple[str, ...]
    append_only: tuple[str, ...]
    read_only: tuple[str, ...]
    sequences: int


def quote_identifier(name: str) -> str:
    """Quote ``name`` as a PostgreSQL identifier (doubling any quote inside it)."""
    return '"' + name.replace('"', '""') + '"'


def _rows(query: str, params: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [tuple(row) for row in cursor.fetchall()]


def _check_role(role: str, schema: str) -> None:
    """Refuse a role that could disable the audit triggers or ignore the grants."""
    found = _rows("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", [role])
    if not found:
        raise GrantRefused(f"There is no database role named {role!r}. Create it first (deploy/postgres/roles.sql).")
    is_superuser, is_current_user = found[0]
    if is_current_user:
        raise GrantRefused(
            f"{role!r} is the role running this command. Run it as the owner of the tables and name the "
            "application's role, which must be a different role."
        )
    if is_superuser:
        raise GrantRefused(f"{role!r} is a superuser, which no trigger or grant can restrain. Use an ordinary role.")
    owned = _rows(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND pg_has_role(%s, c.relowner, 'MEMBER') ORDER BY 1",
        [schema, role],
    )
    if owned:
        names = ", ".join(name for (name,) in owned[:3])
        raise GrantRefused(
            f"{role!r} owns, or is a member of a role that owns, {len(owned)} relations in schema {schema!r} "
            f"({names}, ...), and an owner can disable the audit triggers. Give them to the owner "
            f"(REASSIGN OWNED BY {quote_identifier(role)} TO <owner>;) or revoke the membership."
        )


def _tables(schema: str) -> list[str]:
    """Every table in ``schema``, once this role is known to be able to grant on all of them."""
    rows = _rows(
        "SELECT tablename, tableowner = current_user FROM pg_tables WHERE schemaname = %s ORDER BY 1",
        [schema],
    )
    superuser = _rows("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0]
    not_ours = [name for name, ours in rows if not ours]
    if not_ours and not superuser:
        raise GrantRefused(
            f"This role does not own {len(not_ours)} tables in schema {schema!r} (such as {not_ours[0]}). "
            "Run grant_app_role as the role that ran migrate and owns the tables."
        )
    tables = [name for name, _ in rows]
    missing = sorted(set(APPEND_ONLY_TABLES + READ_ONLY_TABLES) - set(tables))
    if missing:
        raise GrantRefused(f"Tables {', '.join(missing)} do not exist yet in schema {schema!r}. Run migrate first.")
    return tables


def grant_application_role(role: str, *, actor: Any) -> GrantReport:
    """Grant ``role`` exactly the application's privileges on the current schema, and record it.

    ``actor`` is the person running the deployment, or ``None`` for an unattended one.
    """
    if connection.vendor != "postgresql":
        raise GrantRefused(
            f"Database roles exist only on PostgreSQL; this database is {connection.vendor}. The embedded default "
            "has a single user and needs no grants."
        )
    schema = str(_rows("SELECT current_schema()")[0][0])
    _check_role(role, schema)
    tables = _tables(schema)
    append_only = tuple(name for name in tables if name in APPEND_ONLY_TABLES)
    read_only = tuple(name for name in tables if name in READ_ONLY_TABLES)
    read_write = tuple(name for name in tables if name not in append_only and name not in read_only)
    grantee, namespace = quote_identifier(role), quote_identifier(schema)

    def on(names: Sequence[str]) -> str:
        return ", ".join(f"{namespace}.{quote_identifier(name)}" for name in names)

    # Revoking first makes each run converge on exactly these privileges, whatever was granted before.
    statements = [
        f"GRANT USAGE ON SCHEMA {namespace} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {namespace} FROM {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {namespace} FROM {grantee}",
        f"GRANT {APPEND_ONLY} ON {on(append_only)} TO {grantee}",
        f"GRANT SELECT ON {on(read_only)} TO {grantee}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {namespace} TO {grantee}",
    ]
    if read_write:
        statements.append(f"GRANT {READ_WRITE} ON {on(read_write)} TO {grantee}")
    sequences = int(_rows("SELECT count(*) FROM pg_sequences WHERE schemaname = %s", [schema])[0][0])
    report = GrantReport(role, schema, read_write, append_only, read_only, sequences)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        record(
            "audit.app_role_granted",
            outcome=Outcome.ALLOWED,
            actor=actor,
            target_ref=("database_role", role),
            target_label=role,
            details={
                "schema": schema,
                "read_write_tables": len(read_write),
                "append_only_tables": list(append_only),
                "read_only_tables": list(read_only),
                "sequences": sequences,
            },
        )
    return report
