"""Forms for funding applications: the list's filters, starting a draft, the draft itself, supporting
documents, the funder's decision, the payment and a withdrawal.

The upload forms (a supporting document, the decision with its letter) are read through the
secure space's encrypting handler, which builds them from the request's data alone, so each is
made for its page by a factory (``document_form``, ``decision_form``) that binds its choices.
"""

from typing import Any, cast

from django import forms

from dhr_tracker.forms import DATE_INPUT
from dhr_tracker.funding.forms import PoundsField
from dhr_tracker.funding.models import ApplicationStatus, CostCategory
from dhr_tracker.funding.services.applications import NOTE_LIMIT, OUTCOMES, TITLE_LIMIT
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.models import Review
from sharing.forms import UploadForm
from sharing.models import Space


def _year(label: str) -> int:
    return FinancialYear.parse(label).start_year


class FilterForm(forms.Form):
    """Read from the query string; an unknown value is an error, never silently ignored."""

    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any"), *ApplicationStatus.choices])
    year = forms.TypedChoiceField(label="Financial year of the fund", required=False, coerce=_year, empty_value=None)

    def __init__(
        self, *args: Any, years: list[FinancialYear], partnerships: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["year"]).choices = [
            ("", "Any"),
            *((year.label, year.label) for year in years),
        ]
        if len(partnerships) > 1:
            self.fields["partnership"] = forms.TypedChoiceField(
                label="Partnership", required=False, coerce=int, empty_value=None, choices=[("", "Any"), *partnerships]
            )


class NewApplicationForm(forms.Form):
    partnership = forms.TypedChoiceField(
        label="Which partnership is applying?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the partnership this application is for",
            "invalid_choice": "Select the partnership this application is for",
        },
    )

    def __init__(self, *args: Any, partnerships: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["partnership"])
        field.choices = partnerships
        if len(partnerships) == 1:
            field.widget = forms.HiddenInput()
            field.initial = partnerships[0][0]


def cost_field(category: str) -> str:
    return f"cost_{category}"


def note_field(category: str) -> str:
    return f"note_{category}"


class ApplicationForm(forms.Form):
    """A draft's reviews, a cost and a note per category, the amount requested and the justification."""

    reviews = forms.TypedMultipleChoiceField(
        label="Reviews this application is for",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The partnership's reviews that have commenced, with the date of the decision to review",
    )
    requested = PoundsField(name="the amount requested")
    justification = forms.CharField(
        label="Justification",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Why the partnership needs the funding, in the terms of the fund's criteria",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, reviews: list[tuple[int, str]], partnership: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["reviews"])
        field.choices = reviews
        field.error_messages["invalid_choice"] = f"Choose reviews of {partnership} that have commenced"
        for category, label in CostCategory.choices:
            self.fields[cost_field(category)] = PoundsField(
                name=f"the cost of {label.lower()}", label=label, required=False
            )
            self.fields[note_field(category)] = forms.CharField(
                label=f"Note on {label.lower()} (optional)", required=False, max_length=NOTE_LIMIT
            )
            self.fields[note_field(category)].error_messages["max_length"] = (
                f"The note on {label.lower()} must be {NOTE_LIMIT} characters or fewer"
            )

    def cost_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """Each category's amount and note, for the page's rows of costs."""
        return [(self[cost_field(category)], self[note_field(category)]) for category in CostCategory.values]

    def costs(self) -> dict[str, tuple[int, str]]:
        """The costs by category as the service takes them; call after ``is_valid``."""
        data = self.cleaned_data
        return {
            category: (data[cost_field(category)] or 0, data[note_field(category)]) for category in CostCategory.values
        }


class SpaceUploadForm(UploadForm):
    """A file for one of the partnership's secure spaces, where it is kept OFFICIAL-SENSITIVE."""

    space = forms.TypedChoiceField(
        label="Secure space",
        coerce=int,
        widget=forms.RadioSelect,
        help_text="The document is kept there, marked OFFICIAL-SENSITIVE",
        error_messages={
            "required": "Select the secure space to keep the document in",
            "invalid_choice": "Select the secure space to keep the document in",
        },
    )

    def __init__(self, *args: Any, spaces: list[Space], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spaces = {space.pk: space for space in spaces}
        field = cast(forms.TypedChoiceField, self.fields["space"])
        field.choices = [(space.pk, space.name) for space in spaces]
        if len(spaces) == 1:
            field.initial = spaces[0].pk

    def chosen_space(self) -> Space:
        """The space chosen; call after ``is_valid``."""
        return self.spaces[self.cleaned_data["space"]]


class DocumentForm(SpaceUploadForm):
    title = forms.CharField(
        label="Title",
        max_length=TITLE_LIMIT,
        error_messages={
            "required": "Enter a title for the document",
            "max_length": "The title must be 200 characters or fewer",
        },
    )
    field_order = ("file", "title", "space")


def document_form(spaces: list[Space]) -> type[UploadForm]:
    """The supporting document form offering ``spaces``."""

    class Offered(DocumentForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, spaces=spaces, **kwargs)

    return Offered


def share_field(review_id: int) -> str:
    return f"share_{review_id}"


class DecisionForm(SpaceUploadForm):
    """The funder's decision, the amount awarded, each review's share, the conditions, and the letter."""

    outcome = forms.ChoiceField(
        label="The funder's decision",
        widget=forms.RadioSelect,
        choices=[(outcome.value, outcome.label) for outcome in OUTCOMES],
        error_messages={"required": "Select the funder's decision"},
    )
    decided_on = forms.DateField(
        label="Date of the decision",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the date of the decision", "invalid": "Enter a real date"},
    )
    awarded = PoundsField(
        name="the amount awarded", required=False, help_text="Leave empty if the application was rejected"
    )
    conditions = forms.CharField(
        label="Conditions (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="As the funder's letter sets them out",
    )
    field_order = ("outcome", "decided_on", "awarded", "conditions", "file", "space")

    def __init__(self, *args: Any, spaces: list[Space], reviews: list[Review], **kwargs: Any) -> None:
        super().__init__(*args, spaces=spaces, **kwargs)
        self.fields["file"].label = "The funder's decision letter"
        self.fields["file"].help_text = "PDF or Word"
        self.fields["space"].help_text = "The letter is kept there, marked OFFICIAL-SENSITIVE"
        self.review_ids = [review.pk for review in reviews]
        if len(reviews) > 1:
            for review in reviews:
                self.fields[share_field(review.pk)] = PoundsField(
                    name=f"the share of {review.title}", label=f"Share of {review.title}", required=False
                )

    def share_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("share_")]

    def shares(self) -> dict[int, int] | None:
        """Each review's share as typed, or ``None`` for equal shares; call after ``is_valid``."""
        typed = {review_id: self.cleaned_data.get(share_field(review_id)) for review_id in self.review_ids}
        if all(pence is None for pence in typed.values()):
            return None
        return {review_id: pence or 0 for review_id, pence in typed.items()}


def decision_form(spaces: list[Space], reviews: list[Review]) -> type[UploadForm]:
    """The decision form offering ``spaces`` for the letter and a share for each of ``reviews``."""

    class Offered(DecisionForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, spaces=spaces, reviews=reviews, **kwargs)

    return Offered


class PaymentForm(forms.Form):
    paid_on = forms.DateField(
        label="Date paid",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the date the funder paid", "invalid": "Enter a real date"},
    )
    paid = PoundsField(name="the amount paid")


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the application being withdrawn?",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why the application is being withdrawn"},
    )
