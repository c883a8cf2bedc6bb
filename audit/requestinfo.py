"""Facts about the client of a request, as far as they can be trusted. Used by the trail and by sign-in."""

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_MAX = 300


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, trusting only as many forwarding proxies as configured.

    X-Forwarded-For is set by the client as much as by proxies, so only the entries added by
    our own ``TRUSTED_PROXY_COUNT`` proxies (the rightmost ones) are believed.
    """
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
