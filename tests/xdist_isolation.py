"""Keeps parallel pytest workers (``pytest -n 2``, pytest-xdist) out of each other's way.

Loaded with ``-p tests.xdist_isolation`` (pyproject's ``addopts``) so it runs before pytest-django
reads the settings. Each xdist worker gets its own test database (pytest-django appends the
worker's id to the name) and, here, its own Redis databases for the broker, the results and the
real Celery workers that some tests start, so one worker's tasks never reach another's worker.
Outside xdist (or without Redis configured) it changes nothing.
"""

from __future__ import annotations

import os
import re

# Redis databases 0-1 serve a plain run; worker gwN takes 4N+4 .. 4N+7 (scripts/test.sh starts
# Redis with enough databases).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_MATCH = re.fullmatch(r"gw(\d+)", _WORKER)


def _with_db(url: str, db: int) -> str:
    """``redis://host:port[/n]`` with the database number replaced by ``db``."""
    return re.sub(r"(redis://[^/]+)(/\d*)?$", rf"\g<1>/{db}", url)


if _MATCH and os.environ.get("REDIS_URL", "").startswith("redis://"):
    base = 4 * int(_MATCH.group(1)) + 4
    redis_url = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = _with_db(redis_url, base)
    os.environ["CELERY_BROKER_URL"] = _with_db(redis_url, base)
    os.environ["CELERY_RESULT_BACKEND"] = _with_db(redis_url, base + 1)
    if os.environ.get("CACHE_URL", "").startswith("redis://"):
        os.environ["CACHE_URL"] = _with_db(redis_url, base + 2)
