-- The DHR tracker's database and its two roles. Run once, as a PostgreSQL superuser, with psql 15
-- or later (for \getenv):
--
--   export DHR_OWNER_DB_PASSWORD DHR_APP_DB_PASSWORD   # from your secret store
--   psql -h db.internal -U postgres -d postgres -f deploy/postgres/roles.sql
--
-- dhr_owner owns the database and, once `migrate` has run as it, every table and trigger.
-- dhr_app is what the web processes and workers connect as: it owns nothing, and
-- `manage.py grant_app_role dhr_app`, run as dhr_owner after every migrate, gives it exactly its
-- privileges (only INSERT and SELECT on the append-only audit tables). See docs/operations.md.
--
-- The passwords come from the environment, never the command line, where other users of the
-- machine could read them. Other names: -v owner=... -v app=... -v database=...

\set ON_ERROR_STOP on
\if :{?owner}
\else
    \set owner dhr_owner
\endif
\if :{?app}
\else
    \set app dhr_app
\endif
\if :{?database}
\else
    \set database dhr
\endif
\getenv owner_password DHR_OWNER_DB_PASSWORD
\getenv app_password DHR_APP_DB_PASSWORD
\if :{?owner_password}
\else
    DO $$ BEGIN RAISE EXCEPTION 'Set DHR_OWNER_DB_PASSWORD and DHR_APP_DB_PASSWORD first. Nothing was created.'; END $$;
\endif
\if :{?app_password}
\else
    DO $$ BEGIN RAISE EXCEPTION 'Set DHR_APP_DB_PASSWORD too. Nothing was created.'; END $$;
\endif

-- Neither role may create roles or databases, and neither is a superuser: a superuser could
-- disable the audit triggers, which is what the hash chain and signed checkpoints then catch.
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
CREATE DATABASE :"database" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;

-- Only the two roles may connect.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app";

\connect :"database"
-- The schema belongs to the database's owner; nobody else may use it until grant_app_role says so.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
