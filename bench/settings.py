"""Settings for the benchmark's gunicorn: DevoTracker's own settings with a URLconf that also
mounts the obvious implementation (:mod:`bench.obvious`) under ``/api/obvious/``.

Nothing else differs, so DevoTracker and the obvious implementation run in the same processes
with the same middleware, authentication, database connection and pagination.
"""

from devotracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The benchmark's own commands (``manage.py generate_load_data``) live in this package, which is an
# app only under these settings: the product itself never loads benchmark code.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
