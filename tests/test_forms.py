"""The project's form renderer gives every widget the GOV.UK Design System's markup."""

from django import forms


class Choices(forms.Form):
    one = forms.ChoiceField(label="One", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    many = forms.MultipleChoiceField(
        label="Many", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
    )


def test_radios_are_govuk_radios_and_checkboxes_govuk_checkboxes() -> None:
    form = Choices()

    radios, checkboxes = str(form["one"].as_field_group()), str(form["many"].as_field_group())

    assert 'class="govuk-radios govuk-radios--small" data-module="govuk-radios"' in radios
    assert radios.count('class="govuk-radios__item"') == 2
    assert "govuk-checkboxes" not in radios
    assert 'class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes"' in checkboxes
    assert checkboxes.count('class="govuk-checkboxes__item"') == 2
    assert "govuk-radios" not in checkboxes
    assert "<legend" in radios
    assert "<legend" in checkboxes
