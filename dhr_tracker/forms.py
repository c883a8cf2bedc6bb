"""GOV.UK Design System styling for Django forms, shared by every app."""

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

T = TypeVar("T")

_INPUT_CLASSES: dict[type[forms.Widget], str] = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.RadioSelect: "govuk-radios__input",
    forms.CheckboxSelectMultiple: "govuk-checkboxes__input",
}
_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-select": "govuk-select--error",
}


class GovukFormMixin:
    """Give each widget its GOV.UK class, and the error modifier once validation fails."""

    fields: dict[str, forms.Field]
    errors: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            base = next((css for kind, css in _INPUT_CLASSES.items() if isinstance(widget, kind)), "govuk-input")
            widget.attrs["class"] = f"{base} {widget.attrs.get('class', '')}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:
            field = self.fields.get(name)
            if field is None:
                continue
            css = field.widget.attrs.get("class", "")
            extra = next((err for base, err in _ERROR_CLASSES.items() if base in css.split()), "")
            if extra and extra not in css:
                field.widget.attrs["class"] = f"{css} {extra}"


class GovukForm(GovukFormMixin, forms.Form):
    """A plain form rendered in the GOV.UK style."""


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST, even an empty one; ``None`` otherwise (an unbound form)."""
    return request.POST if request.method == "POST" else None


def submit(form: forms.Form, action: Callable[[dict[str, Any]], T]) -> T | None:
    """Run ``action`` on a valid bound form's data; put a service's refusal on the form.

    Returns what ``action`` returned, or ``None`` when the form was unbound, invalid, or refused.
    """
    if not form.is_bound or not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None


def render_form(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a page holding ``context["form"]``; 400 when the form shows errors."""
    return render(request, template, context, status=400 if context["form"].errors else 200)
