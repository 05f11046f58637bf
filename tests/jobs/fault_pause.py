"""Fault drills for the real Celery worker of tests/jobs/test_worker.py: imported by the worker
only (``CELERY_IMPORTS`` in tests/jobs/worker_settings.py) when ``TEST_FAULT_PAUSE`` is set, it
wraps the overdue pass so that it sleeps at a named point and the drill can kill the worker there.

- ``before_commit:<seconds>``: after the pass wrote everything, inside its transaction;
- ``after_commit:<seconds>``: after the pass committed, before the task is acknowledged.

Production code has no hook for this: the drill patches the module attributes the pass calls.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from commitments import bulk, overdue

logger = logging.getLogger("commitments.jobs")

POINT, _, SECONDS = os.environ.get("TEST_FAULT_PAUSE", "").partition(":")


def _pausing(fn: Callable[..., Any], point: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        logger.warning("fault drill pause", extra={"fields": {"point": point, "seconds": SECONDS}})
        time.sleep(float(SECONDS))
        return result

    return wrapper


if POINT == "before_commit" and SECONDS:
    bulk.flag_overdue_items = _pausing(bulk.flag_overdue_items, POINT)  # type: ignore[assignment]
elif POINT == "after_commit" and SECONDS:
    overdue.flag_overdue = _pausing(overdue.flag_overdue, POINT)  # type: ignore[assignment]
