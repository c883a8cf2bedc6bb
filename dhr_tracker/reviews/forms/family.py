"""Forms for family, friends and colleagues, their contact log and the draft report."""

from typing import Any

from django import forms

from dhr_tracker.forms import DATE_INPUT as DATE
from dhr_tracker.reviews.models import Consent, ContactMethod

KEEP_HELP = "Leave empty to keep what is on record"


class FamilyMemberForm(forms.Form):
    pseudonym = forms.CharField(
        label="Agreed pseudonym",
        max_length=100,
        help_text="The name used for them everywhere in the review, as agreed with the family",
        error_messages={"required": "Enter the agreed pseudonym"},
    )
    name = forms.CharField(
        label="Full name",
        max_length=200,
        help_text="Kept encrypted and shown only to those who may see real details",
        error_messages={"required": "Enter their full name"},
    )
    relationship = forms.CharField(
        label="Relationship to the person who died",
        max_length=100,
        help_text="For example mother, friend or colleague",
        error_messages={"required": "Enter their relationship to the person who died"},
    )
    contact_details = forms.CharField(
        label="Contact details",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept encrypted and shown only to those who may see real details",
    )
    advocate = forms.CharField(
        label="Advocate (optional)",
        max_length=200,
        required=False,
        help_text="For example AAFDA or another specialist advocacy service",
    )
    consent = forms.ChoiceField(
        label="Consent to take part",
        choices=Consent.choices,
        initial=Consent.NOT_ASKED,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether they consent to take part"},
    )
    consent_on = forms.DateField(label="Date consent was given, declined or withdrawn", widget=DATE, required=False)
    preferred_contact = forms.ChoiceField(
        label="Preferred way to contact them",
        choices=[("", "Not known"), *ContactMethod.choices],
        required=False,
    )


class FamilyMemberEditForm(FamilyMemberForm):
    """Real details are never put in the page: an empty name or contact details keeps them."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "contact_details"):
            self.fields[name].required = False
            self.fields[name].help_text = f"{KEEP_HELP}. Kept encrypted"


class ContactForm(forms.Form):
    contacted_on = forms.DateField(
        label="Date of contact", widget=DATE, error_messages={"required": "Enter the date of contact"}
    )
    method = forms.ChoiceField(
        label="How they were contacted",
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how they were contacted"},
    )
    summary = forms.CharField(
        label="Summary",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Kept encrypted and shown only to those who may see real details",
        error_messages={"required": "Enter a summary of the contact"},
    )


class DraftSharedForm(forms.Form):
    shared_on = forms.DateField(
        label="Date the draft report was shared with them",
        widget=DATE,
        error_messages={"required": "Enter the date the draft was shared"},
    )


class DraftReturnedForm(forms.Form):
    returned_on = forms.DateField(
        label="Date they returned the draft with their comments",
        widget=DATE,
        error_messages={"required": "Enter the date the draft was returned"},
    )
