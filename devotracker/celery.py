"""The Celery application: configured from Django settings (``CELERY_`` namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotracker.settings")

app = Celery("devotracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The report builders keep their tasks beside the builder (commitments/report_tasks.py).
app.autodiscover_tasks(related_name="report_tasks")
