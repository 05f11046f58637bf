"""Thin Celery tasks over :mod:`webhooks.dispatch` (docs/jobs.md)."""

from __future__ import annotations

import datetime as dt
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from . import dispatch
from .models import Event

FAN_OUT_BUDGET_SECONDS = 50


@shared_task(name=dispatch.FAN_OUT_TASK, ignore_result=True)
def fan_out_task() -> dict[str, int]:
    """Turn new changes into events (batches until the log is read or the budget is spent), then
    hand each subscription with events due to a deliverer. Run after every commit that records
    changes and by beat as a sweep, so a missed hand-off only delays."""
    cache.delete(dispatch.FAN_OUT_PENDING)  # a commit from now on hands off again
    deadline = time.monotonic() + FAN_OUT_BUDGET_SECONDS
    read = 0
    while time.monotonic() < deadline:
        rows, _given = dispatch.fan_out()
        read += rows
        if rows < dispatch.BATCH:
            break
    due = dispatch.subscriptions_due()
    for subscription_id in due:
        dispatch.hand_off_delivery(subscription_id)
    return {"changes_read": read, "subscriptions_due": len(due)}


@shared_task(name=dispatch.DELIVER_TASK, ignore_result=True)
def deliver_task(subscription_id: int) -> dict[str, int]:
    """Deliver one subscription's due events; if its next event falls due within a minute, come
    back for it then (later ones are found by the sweep)."""
    cache.delete(dispatch.delivery_pending_key(subscription_id))
    counts = dispatch.deliver(subscription_id)
    upcoming = dispatch.next_due(subscription_id)
    if upcoming is not None:
        wait = (upcoming - timezone.now()).total_seconds()
        if wait < 60:
            dispatch.hand_off_delivery(subscription_id, countdown=max(wait, 0.05))
    return counts


@shared_task(name="webhooks.tasks.purge_events_task", ignore_result=True)
def purge_events_task() -> int:
    """Forget delivered and given-up events (and their tries) older than the retention period."""
    cutoff = timezone.now() - dt.timedelta(days=int(settings.WEBHOOK_RETENTION_DAYS))
    deleted, _ = Event.objects.exclude(state=Event.State.PENDING).filter(created_at__lt=cutoff).delete()
    return deleted
