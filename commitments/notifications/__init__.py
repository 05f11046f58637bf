"""Telling the right people: e-mail digests, escalation notices, and delivery through the outbox.

Nothing here sends mail while a change is being written. Writers (the overdue pass, the digest
builders, ``record_update``'s follow-ups) put an :class:`~commitments.models.OutboxMessage` in the
same transaction as the change that causes it; a worker delivers it after the commit. The package:

- :mod:`.outbox`: message kinds, queueing, scheduling delivery after commit, the retry policy;
- :mod:`.emails`: items as an e-mail shows them, links, rendering, sending one message;
- :mod:`.digests`: the officers' daily and the secretariats' weekly digests, and the preference;
- :mod:`.escalations`: the overdue pass's notices;
- :mod:`.delivery`: claiming and sending what the outbox holds;
- :mod:`.views` and :mod:`.urls`: the digest preference page (``/notifications/``).

The names below are the package's interface; callers use them rather than the modules.
"""

from .delivery import HANDLERS, deliver_outbox
from .digests import (
    digests_enabled,
    officer_digest,
    run_digests,
    secretariat_digest,
    send_officer_digests,
    send_secretariat_digests,
    set_digests_enabled,
)
from .escalations import escalation_email, escalations_email
from .outbox import (
    DAILY_DIGEST_KIND,
    EMAIL_KIND,
    ESCALATION_KIND,
    ESCALATIONS_KIND,
    WEEKLY_DIGEST_KIND,
    queue_email,
    retry_delay,
    schedule_delivery,
)

__all__ = [
    "DAILY_DIGEST_KIND",
    "EMAIL_KIND",
    "ESCALATIONS_KIND",
    "ESCALATION_KIND",
    "HANDLERS",
    "WEEKLY_DIGEST_KIND",
    "deliver_outbox",
    "digests_enabled",
    "escalation_email",
    "escalations_email",
    "officer_digest",
    "queue_email",
    "retry_delay",
    "run_digests",
    "schedule_delivery",
    "secretariat_digest",
    "send_officer_digests",
    "send_secretariat_digests",
    "set_digests_enabled",
]
