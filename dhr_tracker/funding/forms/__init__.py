"""Funding forms by feature (``streams``, ``applications``, ``ledger``), and the field every one of
them takes money with."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from dhr_tracker.funding.money import MoneyError, parse_pounds, plain


class PoundsField(forms.CharField):
    """An amount in pounds as typed ("£1,250.50"), cleaned to whole pence.

    ``name`` is how the messages speak of it ("the amount requested"); the field's label is the
    same with a capital. Negative amounts, letters, fractions of a penny and absurd sums are each
    refused with their own message.
    """

    def __init__(self, *, name: str, **kwargs: Any) -> None:
        self.money_name = name
        kwargs.setdefault("label", name[:1].upper() + name[1:])
        kwargs.setdefault("error_messages", {"required": f"Enter {name}"})
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "decimal", "maxlength": "20", "class": "govuk-input--width-10", "spellcheck": "false"}
        )

    def prepare_value(self, value: Any) -> Any:
        # Initial values are pence; what the person typed comes back as they typed it.
        return plain(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_pounds(text, self.money_name)
        except MoneyError as exc:
            raise ValidationError(str(exc), code="money") from exc
