"""The dashboard's filters, read from the query string."""

from typing import Any

from django import forms

from dhr_tracker.reviews.models import STATE_CHOICES
from dhr_tracker.reviews.timeline import RAG_WORDS

OPEN = "open"
ALL = "all"


class DashboardFilters(forms.Form):
    # Open reviews come first, so an empty query string shows them.
    show = forms.ChoiceField(
        label="Show", choices=[(OPEN, "Open reviews only"), (ALL, "All reviews, including closed")], required=False
    )
    stage = forms.ChoiceField(label="Stage", choices=[("", "Any stage"), *STATE_CHOICES], required=False)
    rag = forms.ChoiceField(
        label="Status",
        choices=[("", "Any status"), *((rag.value, word) for rag, word in RAG_WORDS.items())],
        required=False,
    )

    def __init__(self, *args: Any, partnerships: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(partnerships) > 1:
            self.fields["partnership"] = forms.TypedChoiceField(
                label="Partnership",
                choices=[("", "All partnerships"), *partnerships],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.order_fields(["partnership"])

    def chosen(self) -> dict[str, Any]:
        """The filters in force: those given and valid, open reviews only unless all are asked for."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "partnership": data.get("partnership"),
            "stage": data.get("stage") or "",
            "rag": data.get("rag") or "",
            "open_only": data.get("show") != ALL,
        }
