"""Settings for the Celery worker that tests/jobs/test_worker.py starts: the project's own
settings (so the worker is the real thing) plus two test knobs.

- ``EMAIL_FILE_PATH``: the file-based e-mail backend writes every message there, so the test can
  count what was sent across worker restarts.
- Redis transport: redeliver an unacknowledged task a few seconds after ``visibility_timeout``
  (``CELERY_VISIBILITY_TIMEOUT``) instead of kombu's default sweep of about 100 s.
- ``TEST_DELIVERY_EVERY`` (seconds), for a beat process: its schedule is only the outbox
  delivery, that often, instead of every minute.
"""

import os

from devotracker.settings import *  # noqa: F403
from devotracker.settings import CELERY_BEAT_SCHEDULE, CELERY_BROKER_TRANSPORT_OPTIONS

EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}

if os.environ.get("TEST_DELIVERY_EVERY"):
    CELERY_BEAT_SCHEDULE = {
        "deliver-outbox": {**CELERY_BEAT_SCHEDULE["deliver-outbox"], "schedule": float(os.environ["TEST_DELIVERY_EVERY"])}
    }

# ``TEST_FAULT_PAUSE`` (``before_commit:<s>`` or ``after_commit:<s>``): the worker imports the
# drill's patches (tests/jobs/fault_pause.py), which make the overdue pass sleep at that point.
if os.environ.get("TEST_FAULT_PAUSE"):
    CELERY_IMPORTS = ["tests.jobs.fault_pause"]
