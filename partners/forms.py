from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from partners.models import Membership, Partner
from partners.services.languages import user_language
from partners.services.sso import staff_password_login_allowed

STAFF_PASSWORD_LOGIN_OFF = _(
    "Staff sign in with the company account: use “Sign in with your company account” "
    "on the staff login page."
)


class StaffPasswordLoginMixin:
    """With SSO_STAFF_PASSWORD_LOGIN off, a staff member's correct password is refused
    with this message (a wrong one gets the usual answer, so the refusal tells nobody
    who is staff). Partner users are not affected."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)  # type: ignore[misc]
        if not staff_password_login_allowed(user=user):
            raise ValidationError(STAFF_PASSWORD_LOGIN_OFF, code="staff_password_login_off")


class ServiceErrorsMixin:
    """Put a service's field-keyed ValidationError on the form's fields."""

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in self.fields else None  # type: ignore[attr-defined]
                if field == "logo" and "logo_upload" in self.fields:  # type: ignore[attr-defined]
                    target = "logo_upload"
                for error in errors:
                    self.add_error(target, error)  # type: ignore[attr-defined]
        else:
            self.add_error(None, exc)  # type: ignore[attr-defined]


class PortalWidgetsMixin:
    """Bootstrap classes on every widget, so templates render each field through the
    one include (`templates/includes/field.html`) without per-template markup."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class PortalAuthenticationForm(StaffPasswordLoginMixin, PortalWidgetsMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That email/username and password do not match. After several failed "
            "attempts, logging in is paused for a while."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        # No autofocus: keyboard and screen reader users start at the top of the page
        # (skip link, heading), as on every other page.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class SSODiscoveryForm(PortalWidgetsMixin, forms.Form):
    """The login page's "Sign in with your company account": the email whose domain
    names the company's identity provider."""

    email = forms.EmailField(
        label=_("Work email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class PortalPasswordChangeForm(PortalWidgetsMixin, PasswordChangeForm):
    pass


class PortalPasswordResetForm(PortalWidgetsMixin, PasswordResetForm):
    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        # The reset link goes out in the account holder's language, not in the
        # language of whoever typed their address.
        context = args[2] if len(args) > 2 else kwargs["context"]
        with translation.override(user_language(context["user"])):
            super().send_mail(*args, **kwargs)


class PortalSetPasswordForm(PortalWidgetsMixin, SetPasswordForm):
    pass


class CobrandingForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.ModelForm):
    """The co-branding profile. Validation copies the input onto the form's instance
    (`ModelForm._post_clean`), so the form works on a copy of the partner it is given:
    a rejected POST leaves the caller's object (`request.partner`, which the page
    header and navigation show) as saved. The form never saves; the service does."""

    logo_upload = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WEBP, up to 2 MB. Transparent PNGs work best."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    class Meta:
        model = Partner
        fields = ["display_name", "contact_phone", "contact_email", "contact_website", "address"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "display_name": _("How your company name appears on co-branded material."),
        }

    def __init__(self, *args: Any, instance: Partner | None = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=copy.copy(instance), **kwargs)


class APIKeyCreateForm(PortalWidgetsMixin, ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Key name"),
        max_length=50,
        help_text=_("Say which system uses it, e.g. “HubSpot sync”."),
    )
    role = forms.ChoiceField(
        label=_("What it may do"),
        choices=Membership.Role.choices,
        initial=Membership.Role.ADMIN,
        required=False,  # a partner admin's rights unless another role is chosen
        help_text=_(
            "The key can do what a person in this role can. What it does is recorded as "
            "the key, not as you."
        ),
    )


# --- The voice of the partner ----------------------------------------------------------

RATING_CHOICES = [
    (1, _("1 – Poor")),
    (2, _("2 – Fair")),
    (3, _("3 – Good")),
    (4, _("4 – Very good")),
    (5, _("5 – Excellent")),
]


class RatingForm(ServiceErrorsMixin, forms.Form):
    """Rate an asset or a kit: 1–5 and an optional comment (templates render the
    scale as a group of buttons, `partners/_scale.html`)."""

    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("What would make it more useful to you? Only the partner team reads it."),
    )


class SurveyAnswerForm(ServiceErrorsMixin, forms.Form):
    """One round's answers: the NPS score (0–10) and a field per free-text question
    (`q_<id>`), each optional."""

    score = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        help_text=_("0 means not at all likely, 10 extremely likely."),
        error_messages={
            "required": _("Choose a score from 0 to 10."),
            "invalid_choice": _("Choose a score from 0 to 10."),
        },
    )

    def __init__(self, *args: Any, survey: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].label = survey.nps_question
        self.questions = list(survey.questions.all())
        for question in self.questions:
            self.fields[f"q_{question.pk}"] = forms.CharField(
                label=question.text,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
            )

    @property
    def question_fields(self) -> list[Any]:
        return [self[f"q_{question.pk}"] for question in self.questions]

    def answers(self) -> dict[int, str]:
        return {q.pk: self.cleaned_data.get(f"q_{q.pk}", "") for q in self.questions}
