"""The webhooks pages (issue 14), at /webhooks/, for administrators: the subscriptions, registering
one (its secret shown once), a subscription's delivery log, and its buttons: send a test event,
redeliver an event, rotate the secret, disable or enable. Thin: :mod:`webhooks.services` decides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import services
from .forms import SubscriptionForm
from .models import Event, Subscription

LOG_LIMIT = 50


def _administrator(request: HttpRequest) -> None:
    if not getattr(request.user, "is_staff", False):
        raise PermissionDenied("Only administrators manage webhooks here; partners manage their own through the API.")


def _subscription(request: HttpRequest, pk: int) -> Subscription:
    _administrator(request)
    return get_object_or_404(Subscription.objects.select_related("party", "token__user"), pk=pk)


@require_safe
def subscription_list(request: HttpRequest) -> HttpResponse:
    """``/webhooks/``: every subscription, with how its deliveries stand."""
    _administrator(request)
    subscriptions = Subscription.objects.select_related("party", "token").annotate(
        pending=Count("events", filter=Q(events__state=Event.State.PENDING)),
        given_up=Count("events", filter=Q(events__state=Event.State.FAILED)),
    )
    return render(request, "webhooks/subscription_list.html", {"subscriptions": subscriptions})


def _secret_page(request: HttpRequest, subscription: Subscription, secret: str, *, rotated: bool) -> HttpResponse:
    response = render(request, "webhooks/secret.html", {"subscription": subscription, "secret": secret, "rotated": rotated})
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_add(request: HttpRequest) -> HttpResponse:
    """``/webhooks/new/``: register a subscription; the answer shows its secret, once."""
    _administrator(request)
    # Bound on every POST, even an empty one (``request.POST or None`` would show an empty POST
    # the blank form again, without its errors).
    form = SubscriptionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription, secret = services.register(
                by=request.user,
                party=data["party"],
                token=data["token"],
                endpoint=data["endpoint"],
                event_types=data["event_types"],
                description=data["description"],
                contact_email=data["contact_email"],
            )
        except services.Invalid as exc:
            form.add_service_errors(exc.field_errors())
        else:
            return _secret_page(request, subscription, secret, rotated=False)
    return render(request, "webhooks/subscription_form.html", {"form": form, "back_url": reverse("webhooks:list")})


@require_safe
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/webhooks/<id>/``: the subscription and its delivery log, newest first."""
    subscription = _subscription(request, pk)
    events = list(subscription.delivery_log()[:LOG_LIMIT])
    return render(request, "webhooks/subscription_detail.html", {"subscription": subscription, "events": events, "limit": LOG_LIMIT})


@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    event = services.send_test(subscription, by=request.user)
    messages.success(request, f"A test event ({event.msg_id}) is on its way.")
    return redirect("webhooks:detail", pk=pk)


@never_cache
@require_POST
def rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    secret = services.rotate_secret(subscription, by=request.user)
    return _secret_page(request, subscription, secret, rotated=True)


@require_POST
def set_state(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription(request, pk)
    active = request.POST.get("active") == "true"
    services.change(subscription, by=request.user, is_active=active)
    messages.success(request, "The subscription is enabled: waiting events are being sent." if active else "The subscription is disabled.")
    return redirect("webhooks:detail", pk=pk)


@require_POST
def redeliver(request: HttpRequest, pk: int, msg_id: str) -> HttpResponse:
    subscription = _subscription(request, pk)
    event = get_object_or_404(subscription.events.all(), msg_id=msg_id)
    services.redeliver(event, by=request.user)
    messages.success(request, f"Event {event.msg_id} will be delivered again.")
    return redirect("webhooks:detail", pk=pk)
