"""Celery tasks of the boards app (thin: they call services)."""

from __future__ import annotations

from celery import shared_task

from .services import purge_sign_in_events


@shared_task(name="boards.tasks.purge_sign_in_events_task")
def purge_sign_in_events_task() -> int:
    return purge_sign_in_events()
