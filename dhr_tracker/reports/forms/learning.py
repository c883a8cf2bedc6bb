"""Forms for learning across reviews: the filters of the learning pages, and tagging themes."""

from typing import Any, cast

from django import forms

from dhr_tracker.reports import learning
from dhr_tracker.reports.models import Recommendation, Scope
from dhr_tracker.reports.services import themes


class LearningFilterForm(forms.Form):
    """Read from the query string; an unknown value is an error, never silently ignored."""

    theme = forms.ChoiceField(label="Theme", required=False)
    agency = forms.TypedChoiceField(label="Lead agency", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any"), *learning.STATUSES])
    scope = forms.ChoiceField(label="Scope", required=False, choices=[("", "Any"), *Scope.choices])
    age = forms.ChoiceField(
        label="Age", required=False, choices=[("", "Any"), *((code, label) for code, label, _, _ in learning.AGES)]
    )

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        theme = cast(forms.ChoiceField, self.fields["theme"])
        agency = cast(forms.TypedChoiceField, self.fields["agency"])
        theme.choices = [("", "Any"), *((name, name) for name in themes.configured())]
        agency.choices = [("", "Any"), *agencies]

    def filters(self) -> learning.Filters:
        """The filters chosen; call after ``is_valid``."""
        data = self.cleaned_data
        return learning.Filters(
            theme=data["theme"], agency=data["agency"], status=data["status"], scope=data["scope"], age=data["age"]
        )


class ThemesForm(forms.Form):
    """The review's themes, then each recommendation's, as checkboxes of the configured themes."""

    review_themes = forms.MultipleChoiceField(
        label="Themes of the review", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, recommendations: list[Recommendation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(name, name) for name in themes.configured()]
        review_themes = cast(forms.MultipleChoiceField, self.fields["review_themes"])
        review_themes.choices = choices
        for recommendation in recommendations:
            self.fields[themes.recommendation_field(recommendation.pk)] = forms.MultipleChoiceField(
                label=f"Recommendation {recommendation.number}",
                required=False,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
            )
        self.recommendations = recommendations

    def recommendation_themes(self) -> dict[int, list[str]]:
        """Each recommendation's chosen themes; call after ``is_valid``."""
        return {
            recommendation.pk: self.cleaned_data[themes.recommendation_field(recommendation.pk)]
            for recommendation in self.recommendations
        }
