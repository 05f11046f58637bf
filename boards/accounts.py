"""Accounts: sign in, sign out and change password, with sign-in throttling and an audit log.

Every sign-in attempt and sign-out is written to :class:`boards.models.SignInEvent`. That table is
also what the lockout counts: it is shared by every web process (a per-process cache would let an
attacker spread attempts across workers), and the count is one indexed query over the last
``LOGIN_FAILURE_WINDOW`` seconds.

Lockout rule: once ``LOGIN_FAILURE_LIMIT`` failed attempts for a username (since that username's
last successful sign-in), or ``LOGIN_FAILURE_LIMIT_PER_ADDRESS`` failed attempts from one client
address, fall inside the window, further attempts are refused without checking the password until
enough of those failures have aged out of the window. The refusal reads the same whether or not
the username exists. Refused attempts are logged as ``locked`` but do not count as failures, so a
locked-out user is let back in when the window has passed rather than kept out for ever. (Why
this is not django-axes: docs/decisions/0012-sign-in-lockout.md.)

Also here: :func:`roles_of`, the signed-in user's roles (DESIGN.md §10) in one query, used by the
header navigation and the home page's redirect.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .models import Membership, SignInEvent

logger = logging.getLogger(__name__)

VIEWERS_GROUP = "viewers"
USER_AGENT_MAX = SignInEvent._meta.get_field("user_agent").max_length or 300
USERNAME_MAX = SignInEvent._meta.get_field("username").max_length or 150


# --- roles --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    """What a signed-in user is, for navigation and landing pages (not for permissions: every
    write is checked by ``commitments.services.can_write``)."""

    is_officer: bool = False
    is_secretariat: bool = False
    is_viewer: bool = False
    is_staff: bool = False

    @property
    def has_work(self) -> bool:
        """Officers and secretariat members have obligations and actions to keep up to date."""
        return self.is_officer or self.is_secretariat


_ROLES_ATTR = "_devotracker_roles"


def roles_of(user: Any) -> Roles:
    """The user's roles, read in a single query and remembered on the user object.

    The header asks on every page, so pages pay exactly one query for it, however many
    memberships the user has. Anonymous users have no roles and cost no query.
    """
    if not getattr(user, "is_authenticated", False):
        return Roles()
    cached = getattr(user, _ROLES_ATTR, None)
    if isinstance(cached, Roles):
        return cached
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            _officer=Exists(Membership.objects.filter(user=OuterRef("pk"), role=Membership.Role.OFFICER)),
            _secretariat=Exists(Membership.objects.filter(user=OuterRef("pk"), role=Membership.Role.SECRETARIAT)),
            _viewer=Exists(Group.objects.filter(user=OuterRef("pk"), name=VIEWERS_GROUP)),
        )
        .values_list("_officer", "_secretariat", "_viewer")
        .first()
    )
    officer, secretariat, viewer = row or (False, False, False)
    roles = Roles(is_officer=officer, is_secretariat=secretariat, is_viewer=viewer, is_staff=bool(user.is_staff))
    setattr(user, _ROLES_ATTR, roles)
    return roles


# --- client details and the audit log ----------------------------------------------------------


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, or None when it cannot be known.

    ``REMOTE_ADDR`` unless ``LOGIN_TRUSTED_PROXIES`` says how many reverse proxies we sit behind:
    then the address that many hops from the right of ``X-Forwarded-For`` (entries further left
    are supplied by the client and could be forged to dodge the per-address limit).
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = int(getattr(settings, "LOGIN_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def record_sign_in_event(request: HttpRequest, *, kind: str, username: str, user: Any = None) -> SignInEvent:
    """Write one row of the sign-in audit log (username and user agent truncated to fit).

    Returns the saved :class:`SignInEvent`.
    """
    event = SignInEvent.objects.create(
        kind=kind,
        username=(username or "")[:USERNAME_MAX],
        user=user if user is not None and getattr(user, "pk", None) else None,
        ip_address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    )
    logger.info("sign-in event", extra={"fields": {"kind": kind, "username": event.username, "ip": event.ip_address}})
    return event


def _failure_limits() -> tuple[int, int, int]:
    per_user = int(settings.LOGIN_FAILURE_LIMIT)
    per_address = int(getattr(settings, "LOGIN_FAILURE_LIMIT_PER_ADDRESS", per_user) or per_user)
    return per_user, per_address, int(settings.LOGIN_FAILURE_WINDOW)


def is_locked_out(*, username: str, address: str | None, now: dt.datetime | None = None) -> bool:
    """Whether sign-in attempts for this username or from this address are refused just now.

    One query: the failures inside the window for the username (only those after its last
    successful sign-in, so a user who got in is not held to earlier typos) and for the address.
    Both filters lead with columns of an index (``username, kind, at`` and ``at``).
    """
    per_user, per_address, window = _failure_limits()
    if per_user <= 0:
        return False
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=window)
    username = (username or "")[:USERNAME_MAX]
    last_success = (
        SignInEvent.objects.filter(username=username, kind=SignInEvent.Kind.SUCCESS, at__gte=since).order_by("-at").values("at")[:1]
    )
    who = Q(username=username)
    if address:
        who |= Q(ip_address=address)
    aggregates: dict[str, Any] = {
        "by_user": Count("pk", filter=Q(username=username, at__gt=Coalesce(Subquery(last_success), Value(since)))),
    }
    if address:
        aggregates["by_address"] = Count("pk", filter=Q(ip_address=address))
    counts = SignInEvent.objects.filter(who, kind=SignInEvent.Kind.FAILURE, at__gte=since).aggregate(**aggregates)
    return counts["by_user"] >= per_user or counts.get("by_address", 0) >= per_address


# --- forms ---------------------------------------------------------------------------------------


class SignInForm(AuthenticationForm):
    """Django's sign-in form with GOV.UK wording and the lockout check before the password check.

    Writes a ``failure`` or ``locked`` audit row for each refused attempt (a ``success`` row is
    written by :class:`SignInView` once the session exists). Raises no exception to the view:
    every refusal is a form error.
    """

    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "Enter a correct username and password. Both are case-sensitive.",
        "locked_out": (
            "There have been too many attempts to sign in. Wait %(minutes)s minutes and try again. "
            "If you have forgotten your password, contact your organisation's DevoTracker administrator."
        ),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["username"].error_messages["max_length"] = "Username must be %(limit_value)d characters or fewer"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            # A field is missing: its own "Enter your …" error is enough; no attempt was made.
            return self.cleaned_data
        assert self.request is not None  # SignInView always passes the request
        if is_locked_out(username=username, address=client_address(self.request)):
            record_sign_in_event(self.request, kind=SignInEvent.Kind.LOCKED, username=username)
            minutes = max(1, round(int(settings.LOGIN_FAILURE_WINDOW) / 60))
            raise ValidationError(self.error_messages["locked_out"], code="locked_out", params={"minutes": minutes})
        try:
            return super().clean()
        except ValidationError:
            record_sign_in_event(self.request, kind=SignInEvent.Kind.FAILURE, username=username)
            raise


def _rule_as_phrase(text: str) -> str:
    """Turn a validator's help text ("Your password must contain at least 12 characters.") into a
    list item that reads on from "Your new password:" ("must contain at least 12 characters")."""
    text = str(text).strip().rstrip(".")
    for lead in ("Your password ", "your password "):
        if text.startswith(lead):
            return text[len(lead) :]
    return text


class GovukPasswordChangeForm(PasswordChangeForm):
    """Django's password change form (validated by ``AUTH_PASSWORD_VALIDATORS``) with GOV.UK
    error wording; saves nothing unless every field is valid."""

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.error_messages = {
            **self.error_messages,
            "password_incorrect": "Your current password is not correct. Enter it again.",
            "password_mismatch": "The two new passwords do not match. Enter the same password twice.",
        }
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        self.fields["old_password"].label = "Current password"
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = ""
        rules = password_validators_help_texts()
        self.fields["new_password1"].help_text = format_html(
            '<p class="govuk-hint govuk-!-margin-bottom-1">Your new password:</p><ul class="govuk-list govuk-list--bullet govuk-hint">{}</ul>',
            format_html_join("", "<li>{}</li>", ((_rule_as_phrase(rule),) for rule in rules)),
        )
        self.fields["old_password"].widget.attrs.pop("autofocus", None)

    def clean(self) -> dict[str, Any]:
        # Django puts the strength errors on the confirmation field; GOV.UK puts each error on the
        # field to fix, so the new password's own rules are checked against new_password1.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self) or self.cleaned_data


# --- views -------------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """``/accounts/login/``: sign in; records the successful attempt in the audit log."""

    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        record_sign_in_event(self.request, kind=SignInEvent.Kind.SUCCESS, username=user.get_username(), user=user)
        return response


class SignOutView(auth_views.LogoutView):
    """``/accounts/logout/`` (POST only, as in Django 5): sign out and record it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            record_sign_in_event(request, kind=SignInEvent.Kind.SIGN_OUT, username=request.user.get_username(), user=request.user)
        response = super().post(request, *args, **kwargs)
        # The session is gone; the message travels in the messages cookie to the sign-in page.
        messages.success(request, "You have signed out.")
        return response


class ChangePasswordView(auth_views.PasswordChangeView):
    """``/accounts/password/change/``: change the signed-in user's password (session kept)."""

    form_class = GovukPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangedView(auth_views.PasswordChangeDoneView):
    """Confirmation after a password change."""

    template_name = "registration/password_change_done.html"


__all__ = [
    "ChangePasswordView",
    "GovukPasswordChangeForm",
    "Roles",
    "SignInForm",
    "SignInView",
    "SignOutView",
    "client_address",
    "is_locked_out",
    "record_sign_in_event",
    "roles_of",
]
