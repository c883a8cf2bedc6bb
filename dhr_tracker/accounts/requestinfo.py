"""Facts about the client of a request, as far as they can be trusted."""

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_MAX = 300


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, trusting only as many forwarding proxies as configured.

    X-Forwarded-For is set by the client as much as by proxies, so only the entries added by
    our own ``TRUSTED_PROXY_COUNT`` proxies (the rightmost ones) are believed.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
