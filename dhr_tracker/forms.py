"""GOV.UK Design System styling for Django forms, shared by every app."""

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

T = TypeVar("T")

_INPUT_CLASSES: dict[type[forms.Widget], str] = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.CheckboxInput: "govuk-checkboxes__input",
    # Before RadioSelect, its base class.
    forms.CheckboxSelectMultiple: "govuk-checkboxes__input",
    forms.RadioSelect: "govuk-radios__input",
    forms.FileInput: "govuk-file-upload",
}
_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-select": "govuk-select--error",
}


class GovukBoundField(BoundField):
    """Give each widget its GOV.UK class, and the error modifier once validation has failed.

    Set for every form by ``GovukFormRenderer``, so forms of the generic apps, which import
    nothing of the project, are styled too.
    """

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        base = next((css for kind, css in _INPUT_CLASSES.items() if isinstance(widget, kind)), "govuk-input")
        classes = [base, *str(widget.attrs.get("class", "")).split(), *str(attrs.get("class", "")).split()]
        if self.errors and base in _ERROR_CLASSES:
            classes.append(_ERROR_CLASSES[base])
        attrs["class"] = " ".join(dict.fromkeys(classes))
        return attrs


class GovukFormRenderer(TemplatesSetting):
    """The project's form renderer: templates from the template folders, GOV.UK widget classes."""

    bound_field_class = GovukBoundField


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


# Browsers read a date input's value only in ISO form, whatever the language of the page.
DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "govuk-input--width-10"})
