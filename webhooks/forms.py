"""The webhooks page's form (administrators): a subscription for a partner organisation."""

from __future__ import annotations

from typing import Any

from django import forms

from boards.models import ApiToken, Party
from commitments.forms import ServiceErrorsForm

from .models import EventType, Subscription
from .services import SUBSCRIBABLE


class SubscriptionForm(ServiceErrorsForm):
    """What :func:`webhooks.services.register` takes; the service checks the address again."""

    party = forms.ModelChoiceField(
        label="Organisation",
        queryset=Party.objects.none(),
        empty_label="Choose an organisation",
        error_messages={
            "required": "Select the organisation the subscription is for",
            "invalid_choice": "Select an organisation from the list",
        },
    )
    token = forms.ModelChoiceField(
        label="API token",
        queryset=ApiToken.objects.none(),
        empty_label="Choose a token",
        help_text="Events carry what this token may read, as the API shows it to this token.",
        error_messages={"required": "Select the token events are read as", "invalid_choice": "Select a token from the list"},
    )
    endpoint = forms.CharField(
        label="Endpoint address",
        max_length=Subscription._meta.get_field("endpoint").max_length,
        help_text="Where events are sent: an https:// address of a public host.",
        error_messages={"required": "Enter the endpoint address", "max_length": "The address must be %(limit_value)d characters or fewer"},
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[(value, f"{value}: {EventType(value).label}") for value in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one event", "invalid_choice": "Select events from the list"},
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        max_length=200,
        error_messages={"max_length": "The description must be %(limit_value)d characters or fewer"},
    )
    contact_email = forms.EmailField(
        label="Contact e-mail (optional)",
        required=False,
        help_text="Told if the subscription is disabled after failing for a day.",
        error_messages={"invalid": "Enter an e-mail address in the correct format, like name@example.org"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["token"].queryset = ApiToken.objects.active().select_related("user").order_by("user__username", "-created_at")  # type: ignore[attr-defined]
        self.fields["endpoint"].widget.attrs.update({"spellcheck": "false", "autocomplete": "url", "inputmode": "url"})
        self.fields["contact_email"].widget.attrs.update({"spellcheck": "false", "autocomplete": "email"})
