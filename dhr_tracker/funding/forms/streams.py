"""Forms of funding streams: recording and changing a stream, and the filters of the list."""

from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from django import forms

from dhr_tracker.accounts.models import Nation
from dhr_tracker.forms import DATE_INPUT
from dhr_tracker.funding.forms import PoundsField
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.models import DeathType

# The financial years offered: a few back for funds recorded late, two ahead for those announced early.
YEARS_BACK = 3
YEARS_AHEAD = 2


def year_choices(today: date, keep: int | None = None) -> list[tuple[int, str]]:
    """Financial years around today's, newest first, with the stream's own year kept."""
    this = FinancialYear.of(today).start_year
    years = set(range(this - YEARS_BACK, this + YEARS_AHEAD + 1))
    if keep is not None:
        years.add(keep)
    return [(year, FinancialYear(year).label) for year in sorted(years, reverse=True)]


def _date(label: str, required: str) -> forms.DateField:
    return forms.DateField(
        label=label, widget=DATE_INPUT, error_messages={"required": required, "invalid": f"{label} must be a real date"}
    )


class StreamForm(forms.Form):
    funder = forms.CharField(
        label="Funder",
        max_length=200,
        help_text="Who gives the money, for example the Home Office or a police and crime commissioner",
        error_messages={"required": "Enter the funder", "max_length": "The funder must be 200 characters or fewer"},
    )
    name = forms.CharField(
        label="Name of the fund",
        max_length=200,
        error_messages={
            "required": "Enter the name of the fund",
            "max_length": "The name of the fund must be 200 characters or fewer",
        },
    )
    financial_year = forms.TypedChoiceField(
        label="Financial year",
        coerce=int,
        help_text="April to March",
        error_messages={
            "required": "Choose the financial year",
            "invalid_choice": "Choose a financial year from the list",
        },
    )
    total_pot = PoundsField(
        name="the total pot",
        label="Total pot",
        help_text="The whole fund, for every partnership, in pounds",
    )
    max_award = PoundsField(
        name="the maximum award",
        label="Maximum award",
        help_text="The most one application can be given, in pounds",
    )
    opens_on = _date("Opening date", "Enter the opening date")
    closes_on = _date("Closing date", "Enter the closing date")
    criteria = forms.CharField(
        label="Criteria",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The funder's criteria in their words, for those who apply",
        error_messages={"max_length": "The criteria must be 10,000 characters or fewer"},
    )
    min_reviews_commenced = forms.IntegerField(
        label="Minimum number of reviews the partnership must have commenced in the financial year",
        required=False,
        help_text="Leave it empty if the fund sets no minimum",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={"invalid": "Enter the minimum number of reviews as a whole number, like 2"},
    )
    death_types = forms.MultipleChoiceField(
        label="Types of review the fund pays for",
        choices=DeathType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave them all unticked if it pays for any type of review",
        error_messages={"invalid_choice": "Choose types of review from the list"},
    )
    nations = forms.MultipleChoiceField(
        label="Nations the fund is for",
        choices=Nation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave them all unticked if partnerships in any nation may apply",
        error_messages={"invalid_choice": "Choose nations from the list"},
    )
    reviews_in_year = forms.BooleanField(
        label="Only for reviews commenced in the financial year",
        required=False,
        help_text="Every review an application covers must have commenced in the fund's financial year",
    )

    def __init__(self, *args: Any, years: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["financial_year"]).choices = [("", "Choose a year"), *years]


class NewStreamForm(StreamForm):
    """A new stream, and whose it is when the user may record more than one partnership's."""

    owner = forms.ChoiceField(
        label="Whose fund is this?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whose fund this is"},
    )
    field_order = ("owner",)

    def __init__(self, *args: Any, owners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["owner"])
        field.choices = owners
        if len(owners) == 1:
            field.widget = forms.HiddenInput()
            field.initial = owners[0][0]


class EditStreamForm(StreamForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class StreamFilters(forms.Form):
    """The list's filters, read from the query string."""

    year = forms.TypedChoiceField(label="Financial year", coerce=int, empty_value=None, required=False)
    open_now = forms.BooleanField(label="Only funds open today", required=False)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = [(year, FinancialYear(year).label) for year in years]
        cast(forms.ChoiceField, self.fields["year"]).choices = [("", "Any year"), *labels]

    def chosen(self) -> dict[str, Any]:
        """The filters given and valid; an invalid one is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"year": data.get("year"), "open_now": bool(data.get("open_now"))}

    def selection(self) -> str:
        """The filters as given, for links that keep them; empty when there are none."""
        return urlencode([(name, self.data[name]) for name in self.fields if self.data.get(name)])
