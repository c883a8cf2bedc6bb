"""Forms for signing in, second factors, passwords and managing accounts."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from dhr_tracker.accounts.models import Agency, Partnership, PartnershipRoleKind, normalise_email

CODE_ATTRS = {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}


class EmailAddressField(forms.EmailField):
    """An e-mail address, compared lower-case, with GOV.UK error wording."""

    def __init__(
        self, *, required_message: str = "Enter your e-mail address", autocomplete: str = "username", **kwargs: Any
    ) -> None:
        super().__init__(
            label="E-mail address",
            max_length=254,
            error_messages={
                "required": required_message,
                "invalid": "Enter an e-mail address in the correct format, like name@example.gov.uk",
            },
            widget=forms.EmailInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        return normalise_email(super().clean(value))


class SignInForm(forms.Form):
    email = EmailAddressField()
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        error_messages={"required": "Enter the code from your authenticator app or a backup code"},
        widget=forms.TextInput(attrs={**CODE_ATTRS, "class": "govuk-input--width-10"}),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        help_text="Enter the 6-digit code your app shows for this service.",
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(attrs={**CODE_ATTRS, "inputmode": "numeric", "class": "govuk-input--width-5"}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the code as 6 digits, like 123456")
        return code


class PasswordResetRequestForm(forms.Form):
    email = EmailAddressField()


class NewPasswordForm(forms.Form):
    new_password = forms.CharField(
        label="New password",
        strip=False,
        help_text="At least 12 characters. Avoid common passwords and anything like your name or e-mail address.",
        error_messages={"required": "Enter a new password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label="Confirm new password",
        strip=False,
        error_messages={"required": "Confirm your new password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data["new_password"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "new_password" in cleaned and cleaned.get("confirm_password") != cleaned["new_password"]:
            self.add_error("confirm_password", "The passwords do not match")
        return cleaned


class ChangePasswordForm(NewPasswordForm):
    field_order = ("current_password", "new_password", "confirm_password")

    current_password = forms.CharField(
        label="Current password",
        strip=False,
        error_messages={"required": "Enter your current password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_current_password(self) -> str:
        password: str = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Your current password is not correct")
        return password


class NewUserForm(forms.Form):
    full_name = forms.CharField(
        label="Full name", max_length=200, error_messages={"required": "Enter the person's full name"}
    )
    email = EmailAddressField(
        required_message="Enter the person's e-mail address",
        autocomplete="off",
        help_text="We will send a link to this address so they can choose a password.",
    )


class GrantRoleForm(forms.Form):
    partnership = forms.ModelChoiceField(
        queryset=Partnership.objects.all(),
        empty_label="Choose a partnership",
        error_messages={"required": "Choose a partnership"},
    )
    role = forms.ChoiceField(
        choices=[("", "Choose a role"), *PartnershipRoleKind.choices], error_messages={"required": "Choose a role"}
    )


class MembershipForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.all(), empty_label="Choose an agency", error_messages={"required": "Choose an agency"}
    )
    job_title = forms.CharField(label="Job title", max_length=200, required=False)


class UserSearchForm(forms.Form):
    q = forms.CharField(label="Search by name or e-mail", max_length=200, required=False)
