"""Load and fault drills (issue 8): a locust scenario and the checks run after it.

Run them with ``bash scripts/drill.sh`` (docs/reliability.md). Nothing here is imported by the
application or by the pytest suite: locust patches the standard library with gevent when it is
imported, so it only ever runs as its own process.
"""
