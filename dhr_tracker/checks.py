"""System checks that refuse unsafe configuration. Ids are stable; never reuse one."""

import stat
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from dhr_tracker.chronologies.importing import risk_lookup
from dhr_tracker.reports import qaoutcomes


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.PRODUCTION:
        return []
    problems: list[CheckMessage] = []
    if settings.DEBUG:
        problems.append(Error("DEBUG is on in production.", hint="Unset DEBUG.", id="dhr.E001"))
    if settings.SECURE_HSTS_SECONDS < 31536000:
        problems.append(
            Error("HSTS lasts less than a year.", hint="Set SECURE_HSTS_SECONDS to at least 31536000.", id="dhr.E002")
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        problems.append(
            Error("Cookies may be sent without TLS.", hint="Leave SECURE_COOKIES on in production.", id="dhr.E003")
        )
    if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None):
        problems.append(Error("The content security policy is in report-only mode.", hint="Enforce it.", id="dhr.E005"))
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append(
            Error("Production needs PostgreSQL.", hint="Set DATABASE_URL to a postgres:// URL.", id="dhr.E006")
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        problems.append(Error("Celery runs tasks in the web process.", hint="Set CELERY_BROKER_URL.", id="dhr.E007"))
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        problems.append(Warning("E-mail is printed, not sent.", hint="Set EMAIL_HOST.", id="dhr.W001"))
    return problems


@register(Tags.security)
def check_content_security_policy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    unsafe = {"'unsafe-inline'", "'unsafe-eval'"}
    loose = sorted(name for name, values in directives.items() if unsafe & set(values))
    if loose:
        return [Error(f"The content security policy allows unsafe sources in {', '.join(loose)}.", id="dhr.E008")]
    return []


@register(Tags.security)
def check_csrf_middleware(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if "dhr_tracker.accounts.middleware.CsrfViewMiddleware" not in settings.MIDDLEWARE:
        return [
            Error(
                "CSRF protection is not installed.", hint="Keep accounts.middleware.CsrfViewMiddleware.", id="dhr.E009"
            )
        ]
    return []


@register(Tags.security)
def check_key_files(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Key files under var/ must be readable by their owner alone."""
    problems: list[CheckMessage] = []
    candidates = [settings.VAR_DIR / "secret_key", *sorted((settings.VAR_DIR / "keys").glob("*"))]
    for path in candidates:
        if path.is_file() and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            problems.append(Error(f"{path} can be read by other users.", hint=f"Run: chmod 600 {path}", id="dhr.E004"))
    return problems


@register()
def check_risk_indicators(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Chronology entries carry risk indicators from a list that must be unique, not blank and free of ";"."""
    try:
        risk_lookup(settings.CHRONOLOGY_RISK_INDICATORS)
    except ValueError as error:
        return [Error(str(error), hint="Correct CHRONOLOGY_RISK_INDICATORS.", id="dhr.E010")]
    return []


@register()
def check_qa_outcome_wording(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The Home Office outcomes' wording must name known outcomes, each with some words."""
    try:
        qaoutcomes.wording()
    except qaoutcomes.BadWording as error:
        return [Error(str(error), hint="Correct REPORT_QA_OUTCOME_WORDING.", id="dhr.E011")]
    return []
