"""What the sharing app needs from the project that uses it, without importing that project.

Models are named by settings: ``SHARING_PARTY_MODEL`` (the organisations that sign protocols and
own documents, for example agencies) and ``SHARING_SCOPE_MODEL`` (the tenant a protocol belongs
to, for example a partnership). ``settings.SHARING_INTEGRATION`` names a module that provides:

- ``parties_of(user) -> set[int]``: the parties the user currently acts for;
- ``manages_scope(user, scope_id) -> bool``: whether the user may draft and administer the
  protocols and spaces of that scope;
- ``managed_scopes(user) -> set[int]``: every scope they manage;
- ``party_choices(scope_id) -> list[tuple[int, str]]``: the parties that may join a protocol of
  that scope, with their names;
- ``people_of_party(party_id) -> list[tuple[int, str]]``: the users who currently act for a
  party, with a label naming them (to choose signatories and members);
- ``signed_in_view(view) -> view``: the project's access rule for a page any verified user may
  reach (each view then checks access to its object);
- ``fresh_second_factor(view) -> view``: the project's sudo-mode decorator;
- ``second_factor_at(request) -> float | None``: when (Unix time) the user last gave a second
  factor in this session;
- ``ask_second_factor(request) -> response``: send the user to give a code now, then back to
  the page they asked for.
"""

from collections.abc import Callable
from importlib import import_module
from typing import Any, Protocol, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

View = Callable[..., HttpResponseBase]


class Integration(Protocol):
    def parties_of(self, user: Any) -> set[int]: ...

    def manages_scope(self, user: Any, scope_id: int) -> bool: ...

    def managed_scopes(self, user: Any) -> set[int]: ...

    def party_choices(self, scope_id: int) -> list[tuple[int, str]]: ...

    def people_of_party(self, party_id: int) -> list[tuple[int, str]]: ...

    def signed_in_view(self, view: View) -> View: ...

    def fresh_second_factor(self, view: View) -> View: ...

    def second_factor_at(self, request: HttpRequest) -> float | None: ...

    def ask_second_factor(self, request: HttpRequest) -> HttpResponseBase: ...


def hooks() -> Integration:
    return cast(Integration, import_module(settings.SHARING_INTEGRATION))
