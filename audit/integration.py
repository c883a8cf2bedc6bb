"""What the audit app needs from the project that uses it, without importing that project.

``settings.AUDIT_INTEGRATION`` names a module that provides:

- ``actor_organisation(user) -> str``: a label for the organisation the user acts for, kept as
  a snapshot in each event;
- ``event_scope(user) -> Q | None``: the events this user may read as an auditor, or ``None``
  if the user is not an auditor at all (deny by default);
- ``auditor_view(view) -> view``: the project's access rule for a signed-in page;
- ``fresh_second_factor(view) -> view``: the project's sudo-mode decorator.
"""

from collections.abc import Callable
from importlib import import_module
from typing import Any, Protocol, cast

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponseBase

View = Callable[..., HttpResponseBase]


class Integration(Protocol):
    def actor_organisation(self, user: Any) -> str: ...

    def event_scope(self, user: Any) -> Q | None: ...

    def auditor_view(self, view: View) -> View: ...

    def fresh_second_factor(self, view: View) -> View: ...


def hooks() -> Integration:
    return cast(Integration, import_module(settings.AUDIT_INTEGRATION))
