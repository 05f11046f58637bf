"""The officer pages (issue 3): my work, lists, the commitment page, the update forms and the
spreadsheet import, a module each (:mod:`.lists`, :mod:`.updates`, :mod:`.imports`, with what they
share in :mod:`.common`).

Views stay thin: a FilterSet or form parses, a queryset method from :mod:`commitments.querysets`
reads (a fixed number of queries per page, however many rows), and a service from
:mod:`commitments.services` writes. Permission is checked here before a form is shown (GET answers
403 to someone who may not write) and again by the service when it writes.
"""

from .approvals import pending_detail, pending_list, pending_withdraw
from .imports import import_confirm, import_template, import_upload
from .lists import action_list, commitment_detail, commitment_list, my_work, obligation_list
from .updates import action_add, action_update, commitment_update, obligation_update

__all__ = [
    "action_add",
    "action_list",
    "action_update",
    "commitment_detail",
    "commitment_list",
    "commitment_update",
    "import_confirm",
    "import_template",
    "import_upload",
    "my_work",
    "obligation_list",
    "obligation_update",
    "pending_detail",
    "pending_list",
    "pending_withdraw",
]
