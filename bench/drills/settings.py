"""Settings for the drills' web, worker and command processes: the project's own settings, with
e-mails written to files (``EMAIL_FILE_PATH``) so the fault drill can count what was sent."""

import os

from devotracker.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
