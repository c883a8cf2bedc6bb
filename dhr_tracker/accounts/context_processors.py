from typing import Any

from django.conf import settings
from django.http import HttpRequest


def service(request: HttpRequest) -> dict[str, Any]:
    """Values every page needs: the service name and whether the user is fully signed in."""
    user = getattr(request, "user", None)
    verified = bool(user is not None and user.is_authenticated and user.is_verified())
    return {"service_name": settings.SITE_NAME, "user_verified": verified}
