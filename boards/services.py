"""Writes on the "who" side that are not part of a web request."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from .models import SignInEvent


def purge_sign_in_events(*, now: dt.datetime | None = None) -> int:
    """Delete sign-in audit rows older than the retention the privacy notice promises
    (``SIGN_IN_LOG_RETENTION_DAYS``, 365 by default). Returns how many were deleted."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.SIGN_IN_LOG_RETENTION_DAYS)
    deleted, _ = SignInEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
