"""Database triggers that make the audit tables append-only.

Threat: the application, or someone using its database credentials, edits or deletes audit rows
to hide what happened. The triggers refuse UPDATE, DELETE (and, on PostgreSQL, TRUNCATE) from
any role. In production the tables and triggers are owned by a separate role; the application's
role is granted only INSERT and SELECT, so it can neither drop nor disable them (see
docs/operations.md). A database superuser can still do anything: the hash chain and the signed
checkpoints are what catch that, and ``verify_audit`` reports it.
"""

TABLES = ("audit_auditevent", "audit_pendingevent", "audit_checkpoint", "audit_verificationrun", "auditlog_logentry")
MESSAGE = "audit records are append-only"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def postgres_install(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
    ]


def postgres_remove(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
    ]


def sqlite_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE on {table} refused'); END;",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE on {table} refused'); END;",
    ]


def sqlite_remove(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_update;", f"DROP TRIGGER IF EXISTS {table}_no_delete;"]


def install(connection) -> None:  # type: ignore[no-untyped-def]
    """Install the triggers on every audit table (idempotent)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            statements = [sql for table in TABLES for sql in postgres_install(table)]
        else:
            statements = [sql for table in TABLES for sql in sqlite_install(table)]
        for sql in statements:
            cursor.execute(sql)


def remove(connection) -> None:  # type: ignore[no-untyped-def]
    """Remove the triggers; only migrations going backwards and test database resets do this."""
    with connection.cursor() as cursor:
        remover = postgres_remove if connection.vendor == "postgresql" else sqlite_remove
        for table in TABLES:
            for sql in remover(table):
                cursor.execute(sql)
