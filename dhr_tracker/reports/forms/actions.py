"""Forms of the action plan: recommendations, actions, the owners' updates, and the plan's filters."""

from typing import Any, cast
from urllib.parse import urlencode

from django import forms

from dhr_tracker.forms import DATE_INPUT as DATE
from dhr_tracker.reports.models import RAG, Scope

PSEUDONYMS = "Use the pseudonyms of the review, never real names"
YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes(value: str) -> bool:
    return value == "yes"


def _text(label: str, required: str, help_text: str = PSEUDONYMS, *, optional: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=not optional,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=help_text,
        error_messages={"required": required, "max_length": f"{label} must be 10,000 characters or fewer"},
    )


def _date(label: str, required: str, *, optional: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=not optional,
        widget=DATE,
        error_messages={"required": required, "invalid": f"{label} must be a real date"},
    )


def _people(label: str, required: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        empty_value=None,
        error_messages={"required": required, "invalid_choice": "Choose someone from the list"},
    )


def _agency() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Lead agency",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a lead agency from the partnership's agencies"},
    )


class _Choices(forms.Form):
    """A form choosing an owner and a lead agency from the lists the review allows."""

    def __init__(
        self, *args: Any, owners: list[tuple[int, str]], agencies: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", "Choose the owner"), *owners]
        cast(forms.ChoiceField, self.fields["lead_agency"]).choices = [("", "No lead agency"), *agencies]


class RecommendationForm(_Choices):
    text = _text("Recommendation", "Enter the recommendation")
    scope = forms.ChoiceField(
        label="Scope",
        choices=Scope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the recommendation is local, regional or national"},
    )
    department = forms.CharField(
        label="Government department addressed",
        required=False,
        max_length=200,
        help_text="Needed for a national recommendation",
        error_messages={"max_length": "The department must be 200 characters or fewer"},
    )
    multi_agency = forms.TypedChoiceField(
        label="Is it a multi-agency recommendation?",
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the recommendation is for one agency or several"},
    )
    lead_agency = _agency()
    owner = _people("Owner", "Choose who owns this recommendation")
    target_on = _date("Target date", "Enter the target date")


class EditRecommendationForm(RecommendationForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ActionForm(_Choices):
    text = _text("Action", "Enter the action")
    lead_agency = _agency()
    owner = _people("Owner", "Choose who owns this action")
    target_on = _date("Target date", "Enter the target date")


class EditActionForm(ActionForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class DeleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProgressForm(forms.Form):
    """The owner's update of an action."""

    note = _text(
        "Progress note",
        "Enter a progress note",
        f"What has been done since the last update. Needed to reopen a completed action. {PSEUDONYMS}",
        optional=True,
    )
    milestones = _text("Key milestones achieved", "", optional=True)
    at_risk = forms.TypedChoiceField(
        label="Is the action at risk of missing its target date?",
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the action is at risk"},
    )
    evidence = forms.TypedMultipleChoiceField(
        label="Evidence",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Documents in the review's secure space that show what was done. Upload them there first",
        error_messages={"invalid_choice": "Choose evidence from the documents of the review you may open"},
    )
    completed_on = _date("Completion date", "", optional=True)
    outcome = _text(
        "Outcome", "", f"Needed when the action is complete: what changed as a result. {PSEUDONYMS}", optional=True
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, documents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["evidence"]).choices = documents
        self.fields["completed_on"].help_text = "Leave it empty while the action is open; empty it to reopen the action"


class PlanFilters(forms.Form):
    """The plan's filters, read from the query string."""

    scope = forms.ChoiceField(label="Scope", choices=[("", "Any scope"), *Scope.choices], required=False)
    rag = forms.ChoiceField(label="Status", choices=[("", "Any status"), *RAG.choices], required=False)
    owner = forms.TypedChoiceField(label="Owner", coerce=int, empty_value=None, required=False)

    def __init__(self, *args: Any, owners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", "Anyone"), *owners]

    def chosen(self) -> dict[str, Any]:
        """The filters given and valid; an invalid one is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"scope": data.get("scope") or "", "rag": data.get("rag") or "", "owner": data.get("owner")}

    def selection(self) -> str:
        """The filters as given, for links that keep them; empty when there are none."""
        return urlencode([(name, self.data[name]) for name in self.fields if self.data.get(name)])
