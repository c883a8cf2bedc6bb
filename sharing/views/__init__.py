"""Pages for protocols and spaces (``protocols``) and for documents and grants (``documents``).

Every page needs a verified second factor (the project's rule, through ``sharing.integration``)
and then decides access to its object through ``sharing.access``. Signing a protocol, and every
dangerous change, needs sudo mode.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from sharing.integration import hooks

PAGE_SIZE = 50

signed_in_view = hooks().signed_in_view
fresh_second_factor = hooks().fresh_second_factor


def posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def status_for(form_like: Any) -> int:
    return 400 if form_like.is_bound and form_like.errors else 200


def submit(form: Any, action: Any) -> Any:
    """Run a service; put its ``ValidationError`` on the form instead."""
    try:
        return action()
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
