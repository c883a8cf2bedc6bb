from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dhr_tracker.accounts.audit_integration import is_auditor


def service(request: HttpRequest) -> dict[str, Any]:
    """Values every page needs: the service name, and what the signed-in user may reach."""
    user = getattr(request, "user", None)
    verified = bool(user is not None and user.is_authenticated and user.is_verified())
    return {
        "service_name": settings.SITE_NAME,
        "user_verified": verified,
        # Looked up only if the page asks (the navigation does, for signed-in users).
        "user_is_auditor": SimpleLazyObject(lambda: verified and is_auditor(user)),
    }
