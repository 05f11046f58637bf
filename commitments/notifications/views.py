"""The e-mail digests page (``/notifications/``): a user turns their own digests on or off.

Thin, like every view: the form parses, :func:`commitments.notifications.digests.set_digests_enabled`
writes (only ever the signed-in user's own profile), and the page reads the current choice.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .digests import digests_enabled, set_digests_enabled


class DigestPreferenceForm(forms.Form):
    """Yes or no to the daily (officers) and weekly (secretariat) digests."""

    digests = forms.ChoiceField(
        label="Do you want to get the e-mail digests?",
        choices=[("yes", "Yes, send me the digests"), ("no", "No, do not send me the digests")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you want to get the e-mail digests", "invalid_choice": "Select yes or no"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Show the user's digest setting; on a valid POST save it, confirm with a success banner and
    redirect (POST/redirect/GET); on an invalid one re-show the form with its errors (400)."""
    user = request.user
    if request.method == "POST":
        form = DigestPreferenceForm(request.POST)
        if form.is_valid():
            enabled = form.cleaned_data["digests"] == "yes"
            set_digests_enabled(user, enabled=enabled)
            messages.success(request, "You will get the e-mail digests." if enabled else "You will no longer get the e-mail digests.")
            return redirect("notifications:preferences")
        status = 400
    else:
        form = DigestPreferenceForm(initial={"digests": "yes" if digests_enabled(user) else "no"})
        status = 200
    current = form["digests"].value() if form.is_bound else form.initial["digests"]
    context = {"form": form, "current": current, "email": getattr(user, "email", "")}
    return render(request, "notifications/preferences.html", context, status=status)
