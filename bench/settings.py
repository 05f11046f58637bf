"""Settings for the benchmark's gunicorn: DevoTracker's own settings with a URLconf that also
mounts the obvious implementation (:mod:`bench.obvious`) under ``/api/obvious/``.

Nothing else differs, so DevoTracker and the obvious implementation run in the same processes
with the same middleware, authentication, database connection and pagination.
"""

from devotracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
