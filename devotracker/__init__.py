"""DevoTracker project wiring: settings, URLs, the Celery app, WSGI/ASGI. No domain code."""

from .celery import app as celery_app

__all__ = ["celery_app"]
