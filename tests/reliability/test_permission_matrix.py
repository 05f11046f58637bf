"""The permission policy as a table, checked cell by cell: every role × every page and API
operation that reads or writes (DESIGN.md §10 roles; docs/security.md prints the same table).

Roles, built on the shared personas (tests/conftest.py) and the API world (tests/api/conftest.py):

- ``anonymous``: nobody signed in;
- ``viewer``: a Leaders' Committee reader (the ``viewers`` group);
- ``officer_a``: an officer of party A, which owes the obligation (and its actions) under TST-001;
- ``officer_b``: an officer of party B, which owes another obligation under TST-001;
- ``secretary``: the secretariat of the SPB, which leads TST-001;
- ``admin``: an administrator (staff, superuser);
- ``read_token`` / ``write_token``: a partner system's API keys, acting for party A.

Browser roles use a signed-in session for pages and the API alike. Tokens are for the API only: on
a page a token counts for nothing (the page sends the request to sign in).

Cells: a status code; ``LOGIN`` (302 to the sign-in page); ``ADMIN_LOGIN`` (302 to the admin's
sign-in, for signed-in people who are not staff); ``REFUSED`` (answered without error, but the
service refused the rows and saved nothing). After every request the test compares a snapshot of
every row count and every version (tests/reliability/conftest.py): an allowed write must change it,
anything else must leave it exactly as it was.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from boards.models import ApiToken, Board
from commitments.models import Action, Commitment, Dependency, Obligation, PendingUpdate, Report
from webhooks.models import Event, Subscription

from .conftest import snapshot
from .finance_matrix import finance_perform, finance_prepare

# The finance writes' addresses (issue 16): sent by tests/reliability/finance_matrix.py.
FINANCE_WRITES = ("/finance/", "/api/v1/funding-streams/", "/api/v1/funding-lines/", "/api/v1/capital-budgets/", "/api/v1/disposals/")

pytestmark = pytest.mark.django_db

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
REFUSED = "refused"

ROLES = ("anonymous", "viewer", "officer_a", "officer_b", "secretary", "admin", "read_token", "write_token")

# fmt: off
# The policy. Columns: anonymous, viewer, officer_a, officer_b, secretary, admin, read_token, write_token.
ALL_READ = (LOGIN, 200, 200, 200, 200, 200, LOGIN, LOGIN)   # every signed-in person reads every page
STAFF_PAGE = (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN) # administrators' pages (webhooks)
STAFF_POST = (LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN)
API_READ = (401, 200, 200, 200, 200, 200, 200, 200)         # every authenticated caller reads the API
OWN_PARTY_READ = (401, 404, 200, 404, 404, 200, 200, 200)   # party A's webhooks: its members and administrators
PUBLIC = (200, 200, 200, 200, 200, 200, 200, 200)           # sign-in, health, footer pages, API docs, /public/
MATRIX: dict[str, tuple[Any, ...]] = {
    # --- pages: reading ---------------------------------------------------------------------------
    "GET /":                                   (LOGIN, 302, 302, 302, 302, 302, LOGIN, LOGIN),
    "GET /my-work/":                           ALL_READ,
    "GET /commitments/":                       ALL_READ,
    "GET /commitments/TST-001/":               ALL_READ,
    "GET /obligations/":                       ALL_READ,
    "GET /actions/":                           ALL_READ,
    "GET /boards/":                            ALL_READ,
    "GET /boards/SPB/":                        ALL_READ,
    "GET /pilots/":                            ALL_READ,
    "GET /pilots/hackney/":                    ALL_READ,
    "GET /dashboard/":                         ALL_READ,
    "GET /dashboard/?format=csv&table=summary": ALL_READ,
    "GET /dashboard/pilots/hackney/":          ALL_READ,
    "GET /dashboard/boards/SPB/":              ALL_READ,
    "GET /dashboard/parties/party-a/":         ALL_READ,
    "GET /dashboard/overdue/":                 ALL_READ,
    "GET /dashboard/pilots/hackney/trends/":   ALL_READ,
    "GET /dashboard/boards/SPB/due/":          ALL_READ,
    "GET /dashboard/parties/party-a/overdue/": ALL_READ,
    "GET /meetings/":                          ALL_READ,
    "GET /meetings/{meeting}/":                ALL_READ,
    "GET /meetings/reports/{report}/":         ALL_READ,
    "GET /meetings/reports/{report}/pdf/":     ALL_READ,
    "GET /meetings/reports/{report}/docx/":    ALL_READ,
    "GET /meetings/reports/{report}/status/":  ALL_READ,
    "GET /notifications/":                     ALL_READ,
    "GET /periods/":                           ALL_READ,
    "GET /periods/{period}/":                  ALL_READ,
    "GET /accounts/password/change/":          ALL_READ,
    # Approval before publishing (issue 15): the list is everyone's (each sees what they may);
    # an update awaiting approval is seen by its author's party and the deciding board's secretariat.
    "GET /approvals/":                         ALL_READ,
    "GET /approvals/{pending}/":               (LOGIN, 404, 200, 404, 200, 200, LOGIN, LOGIN),
    "GET /import/template.csv":                (LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN),
    "GET /admin/":                             (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, LOGIN, LOGIN),
    "GET /admin/admin/logentry/":              (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, LOGIN, LOGIN),
    "GET /accounts/login/":                    (200, 302, 302, 302, 302, 302, 200, 200),  # signed in: sent on
    "GET /health/":                            PUBLIC,
    "GET /accessibility/":                     PUBLIC,
    "GET /privacy/":                           PUBLIC,
    "GET /open-data/":                         PUBLIC,  # the open data page (issue 14)
    # Its files are public too; none is published in this fixture (tests/reporting/test_opendata.py reads them published).
    "GET /open-data/datapackage.json":         (404, 404, 404, 404, 404, 404, 404, 404),
    # The public progress view (issue 15): anyone, signed in or not (PUBLIC_VIEW on, as in the quick start).
    "GET /public/":                            PUBLIC,
    "GET /public/themes/capital-and-estates/": PUBLIC,
    "GET /public/boards/SPB/":                 PUBLIC,
    "GET /public/pilots/hackney/":             PUBLIC,
    "GET /public/commitments/TST-001/":        PUBLIC,
    "POST /public/":                           (405, 405, 405, 405, 405, 405, 405, 405),  # nothing to write
    # --- pages: writing ---------------------------------------------------------------------------
    "GET /commitments/TST-001/update/":        (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /commitments/TST-001/update/":       (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "GET /obligations/{obligation}/update/":  (LOGIN, 403, 200, 403, 200, 200, LOGIN, LOGIN),
    "POST /obligations/{obligation}/update/":  (LOGIN, 403, 302, 403, 302, 302, LOGIN, LOGIN),
    "GET /obligations/{other}/update/":       (LOGIN, 403, 403, 200, 200, 200, LOGIN, LOGIN),
    "POST /obligations/{other}/update/":       (LOGIN, 403, 403, 302, 302, 302, LOGIN, LOGIN),
    # The assurance rating (issue 15): the lead board's secretariat and administrators only.
    "GET /commitments/TST-001/assurance/":     (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /commitments/TST-001/assurance/":    (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "GET /obligations/{obligation}/assurance/": (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /obligations/{obligation}/assurance/": (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "GET /actions/{action}/update/":          (LOGIN, 403, 200, 403, 200, 200, LOGIN, LOGIN),
    "POST /actions/{action}/update/":          (LOGIN, 403, 302, 403, 302, 302, LOGIN, LOGIN),
    "GET /obligations/{obligation}/actions/add/":  (LOGIN, 403, 200, 403, 200, 200, LOGIN, LOGIN),
    "POST /obligations/{obligation}/actions/add/": (LOGIN, 403, 302, 403, 302, 302, LOGIN, LOGIN),
    "GET /import/":                            (LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN),
    "POST /import/ (preview only)":            (LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN),
    "POST /import/confirm/ (after a preview)": (LOGIN, 403, 302, REFUSED, 302, 302, LOGIN, LOGIN),
    "POST /meetings/{meeting}/build/":         (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "POST /meetings/{lc_meeting}/build/":      (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "POST /notifications/ (own digests)":      (LOGIN, 302, 302, 302, 302, 302, LOGIN, LOGIN),
    "GET /periods/new/":                       (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),
    "POST /periods/new/":                      (LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN),
    "GET /periods/{period}/close/":            (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),
    "POST /periods/{period}/close/":           (LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN),
    "POST /approvals/{pending}/ (approve)":    (LOGIN, 404, 403, 404, 302, 302, LOGIN, LOGIN),  # not its author's to decide
    "POST /approvals/{pending}/ (return)":     (LOGIN, 404, 403, 404, 302, 302, LOGIN, LOGIN),
    "POST /approvals/{own_pending}/ (approve one's own)": (LOGIN, 404, 404, 403, 403, 302, LOGIN, LOGIN),
    "POST /approvals/{decided_pending}/ (approve again)": (LOGIN, 404, 403, 404, 403, 403, LOGIN, LOGIN),  # no form: decided
    "POST /approvals/{pending}/withdraw/":     (LOGIN, 404, 302, 404, 403, 403, LOGIN, LOGIN),  # its author only
    "POST /boards/SPB/approval/":              (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),  # the board's secretariat
    # Dependencies (issue 15): the secretariat of the waiting item's lead board, and administrators.
    # A cycle or an item waiting on itself is refused: the form again with its errors, nothing saved.
    "GET /commitments/TST-001/dependencies/add/":  (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /commitments/TST-001/dependencies/add/": (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "POST /commitments/TST-001/dependencies/add/ (a cycle)":  (LOGIN, 403, 403, 403, REFUSED, REFUSED, LOGIN, LOGIN),
    "POST /commitments/TST-001/dependencies/add/ (itself)":   (LOGIN, 403, 403, 403, REFUSED, REFUSED, LOGIN, LOGIN),
    "POST /commitments/TST-001/dependencies/{dependency}/remove/": (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    # Nothing without an owner (issue 16): the worklist is the secretariats' and administrators'. A
    # board's secretariat may take a commitment no board leads (TST-002) for its own board, not
    # change one a board leads (TST-001: Leaders' Committee's secretariat and administrators). An
    # owner: the owing party's officers, the lead board's secretariat, administrators; someone who is
    # not an officer of the owing party is refused (the form again with its error, nothing saved).
    "GET /worklist/":                          (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "GET /worklist/?format=csv":               (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "GET /commitments/TST-002/lead-board/":    (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /commitments/TST-002/lead-board/":   (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "GET /commitments/TST-001/lead-board/":    (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),
    "POST /commitments/TST-001/lead-board/":   (LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN),
    "GET /obligations/{obligation}/owner/":    (LOGIN, 403, 200, 403, 200, 200, LOGIN, LOGIN),
    "POST /obligations/{obligation}/owner/":   (LOGIN, 403, 302, 403, 302, 302, LOGIN, LOGIN),
    "POST /obligations/{obligation}/owner/ (another party's officer)": (LOGIN, 403, REFUSED, 403, REFUSED, REFUSED, LOGIN, LOGIN),
    "GET /actions/{action}/owner/":            (LOGIN, 403, 200, 403, 200, 200, LOGIN, LOGIN),
    "POST /actions/{action}/owner/":           (LOGIN, 403, 302, 403, 302, 302, LOGIN, LOGIN),
    # --- money and estates (issue 16): read by everyone; the forms and the import ------------------
    "GET /finance/":                           ALL_READ,
    "GET /finance/streams/":                   ALL_READ,
    "GET /finance/streams/matrix-fund/":       ALL_READ,
    "GET /finance/lines/":                     ALL_READ,
    "GET /finance/lines/{line}/":              ALL_READ,
    "GET /finance/budgets/":                   ALL_READ,
    "GET /finance/budgets/2018/":              ALL_READ,
    "GET /finance/disposals/":                 ALL_READ,
    "GET /finance/disposals/{disposal}/":      ALL_READ,
    "GET /dashboard/finance/":                 ALL_READ,
    "GET /finance/lines/?format=csv":          ALL_READ,
    "GET /finance/disposals/?format=csv":      ALL_READ,
    "GET /finance/budgets/?format=csv":        ALL_READ,
    "GET /dashboard/?format=csv&table=finance-sub-region": ALL_READ,
    # A stream and its lines: its keeper board's secretariat (the SPB here); a line's amounts also
    # the officers of its party. Budgets and disposals: the London Estates Board's secretariat (no
    # role here) and administrators; a disposal's amounts and status also its owner's officers.
    "GET /finance/streams/add/":               (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /finance/streams/add/":              (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "GET /finance/streams/matrix-fund/edit/":  (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /finance/streams/matrix-fund/edit/": (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "GET /finance/lines/add/":                 (LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN),
    "POST /finance/lines/add/":                (LOGIN, 403, 403, 403, 302, 302, LOGIN, LOGIN),
    "GET /finance/lines/{line}/edit/":         (LOGIN, 403, 200, 403, 200, 200, LOGIN, LOGIN),
    "POST /finance/lines/{line}/edit/":        (LOGIN, 403, 302, 403, 302, 302, LOGIN, LOGIN),
    "GET /finance/budgets/add/":               (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),
    "POST /finance/budgets/add/":              (LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN),
    "GET /finance/budgets/2018/edit/":         (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),
    "POST /finance/budgets/2018/edit/":        (LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN),
    "GET /finance/disposals/add/":             (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),
    "POST /finance/disposals/add/":            (LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN),
    "POST /finance/disposals/add/ (a sub-region not the borough's)": (LOGIN, 403, 403, 403, 403, REFUSED, LOGIN, LOGIN),
    "GET /finance/disposals/{disposal}/edit/": (LOGIN, 403, 200, 403, 403, 200, LOGIN, LOGIN),
    "POST /finance/disposals/{disposal}/edit/": (LOGIN, 403, 302, 403, 403, 302, LOGIN, LOGIN),
    "POST /finance/disposals/{disposal}/edit/ (a receipt before completion)": (LOGIN, 403, REFUSED, 403, 403, REFUSED, LOGIN, LOGIN),
    "GET /finance/import/":                    (LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN),
    "POST /finance/import/ (preview only)":    (LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN),
    "POST /finance/import/confirm/ (after a preview)": (LOGIN, 403, 302, REFUSED, 302, 302, LOGIN, LOGIN),
    "GET /finance/import/funding-lines.csv":   (LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN),
    "GET /finance/import/disposals.csv":       (LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN),
    "POST /admin/boards/party/add/":           (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 302, LOGIN, LOGIN),
    # --- pages: webhooks (issue 14), administrators only ------------------------------------------
    "GET /webhooks/":                          STAFF_PAGE,
    "GET /webhooks/new/":                      STAFF_PAGE,
    "GET /webhooks/{subscription}/":           STAFF_PAGE,
    "POST /webhooks/new/":                     (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),  # 200: the secret, shown once
    "POST /webhooks/{subscription}/test/":     STAFF_POST,
    "POST /webhooks/{subscription}/state/":    STAFF_POST,
    "POST /webhooks/{subscription}/rotate/":   (LOGIN, 403, 403, 403, 403, 200, LOGIN, LOGIN),  # 200: the new secret
    "POST /webhooks/{subscription}/events/{event}/redeliver/": STAFF_POST,
    # --- API: reading -----------------------------------------------------------------------------
    "GET /api/v1/":                            PUBLIC,
    "GET /api/v1/schema/":                     PUBLIC,
    "GET /api/v1/docs/":                       PUBLIC,
    "GET /api/v1/agreements/":                 API_READ,
    "GET /api/v1/agreements/mou-2017/":        API_READ,
    "GET /api/v1/themes/":                     API_READ,
    "GET /api/v1/themes/capital-and-estates/": API_READ,
    "GET /api/v1/commitments/":                API_READ,
    "GET /api/v1/commitments/TST-001/":        API_READ,
    "GET /api/v1/commitments/?format=csv":     API_READ,
    "GET /api/v1/obligations/":                API_READ,
    "GET /api/v1/obligations/{obligation}/":   API_READ,
    "GET /api/v1/actions/":                    API_READ,
    "GET /api/v1/actions/{action}/":           API_READ,
    "GET /api/v1/status-updates/":             API_READ,
    "GET /api/v1/status-updates/{update}/":    API_READ,
    "GET /api/v1/parties/":                    API_READ,
    "GET /api/v1/parties/party-a/":            API_READ,
    "GET /api/v1/boards/":                     API_READ,
    "GET /api/v1/boards/spb/":                 API_READ,
    "GET /api/v1/pilots/":                     API_READ,
    "GET /api/v1/pilots/hackney/":             API_READ,
    "GET /api/v1/boroughs/":                   API_READ,
    "GET /api/v1/boroughs/hackney/":           API_READ,
    "GET /api/v1/meetings/":                   API_READ,
    "GET /api/v1/meetings/{meeting}/":         API_READ,
    "GET /api/v1/reports/":                    API_READ,
    "GET /api/v1/reports/{report}/":           API_READ,
    "GET /api/v1/reports/{report}/html/":      API_READ,
    "GET /api/v1/reports/{report}/pdf/":       API_READ,
    "GET /api/v1/periods/":                    API_READ,
    "GET /api/v1/periods/{period}/":           API_READ,
    "GET /api/v1/periods/{closed_period}/commitments/":                   API_READ,
    "GET /api/v1/periods/{closed_period}/commitments/{commitment_id}/":   API_READ,
    "GET /api/v1/periods/{closed_period}/obligations/":                   API_READ,
    "GET /api/v1/periods/{closed_period}/obligations/{obligation}/":      API_READ,
    "GET /api/v1/periods/{closed_period}/actions/":                       API_READ,
    "GET /api/v1/periods/{closed_period}/actions/{action}/":              API_READ,
    "GET /api/v1/pending-updates/":            API_READ,
    "GET /api/v1/pending-updates/{pending}/":  (401, 404, 200, 404, 200, 200, 200, 200),
    "GET /api/v1/dependencies/":               API_READ,
    "GET /api/v1/dependencies/{dependency}/":  API_READ,
    "GET /api/v1/funding-streams/":            API_READ,
    "GET /api/v1/funding-streams/matrix-fund/": API_READ,
    "GET /api/v1/funding-lines/":              API_READ,
    "GET /api/v1/funding-lines/?format=csv":   API_READ,
    "GET /api/v1/funding-lines/{line}/":       API_READ,
    "GET /api/v1/capital-budgets/":            API_READ,
    "GET /api/v1/capital-budgets/2018/":       API_READ,
    "GET /api/v1/disposals/":                  API_READ,
    "GET /api/v1/disposals/{disposal}/":       API_READ,
    "GET /api/v1/changes/":                    API_READ,
    "GET /api/v1/changes/head/":               API_READ,
    # Webhook subscriptions (issue 14): everyone authenticated lists their own organisations' (the
    # list answers 200 to all; others' are not in it), and another organisation's is a 404.
    "GET /api/v1/webhooks/":                   API_READ,
    "GET /api/v1/webhooks/{subscription}/":    OWN_PARTY_READ,
    "GET /api/v1/webhooks/{subscription}/deliveries/": OWN_PARTY_READ,
    # --- API: writing -----------------------------------------------------------------------------
    "POST /api/v1/commitments/TST-001/updates/":        (401, 403, 403, 403, 201, 201, 403, 403),
    "POST /api/v1/obligations/{obligation}/updates/":   (401, 403, 201, 403, 201, 201, 403, 201),
    "POST /api/v1/obligations/{other}/updates/":        (401, 403, 403, 201, 201, 201, 403, 403),
    "POST /api/v1/actions/{action}/updates/":           (401, 403, 201, 403, 201, 201, 403, 201),
    "POST /api/v1/commitments/TST-001/assurance/":      (401, 403, 403, 403, 201, 201, 403, 403),
    "POST /api/v1/obligations/{obligation}/assurance/": (401, 403, 403, 403, 201, 201, 403, 403),
    "POST /api/v1/pending-updates/{pending}/approve/":  (401, 404, 403, 404, 200, 200, 403, 403),
    "POST /api/v1/pending-updates/{pending}/return/":   (401, 404, 403, 404, 200, 200, 403, 403),
    "POST /api/v1/pending-updates/{own_pending}/approve/": (401, 404, 404, 403, 403, 200, 403, 404),  # not one's own; a read key: the scope first
    "POST /api/v1/pending-updates/{decided_pending}/approve/": (401, 404, 403, 404, 409, 409, 403, 403),  # decided once
    "POST /api/v1/pending-updates/{pending}/withdraw/": (401, 404, 200, 404, 403, 403, 403, 403),
    # Dependencies (issue 15): a partner's token is an officer's (403); a cycle or an item waiting
    # on itself is a 400 naming the field, nothing saved.
    "POST /api/v1/dependencies/":                       (401, 403, 403, 403, 201, 201, 403, 403),
    "POST /api/v1/dependencies/ (a cycle)":             (401, 403, 403, 403, 400, 400, 403, 403),
    "POST /api/v1/dependencies/ (itself)":              (401, 403, 403, 403, 400, 400, 403, 403),
    "DELETE /api/v1/dependencies/{dependency}/":        (401, 403, 403, 403, 204, 204, 403, 403),
    # Assignments (issue 16), as on the pages; a partner's write key acts for party A's officer.
    "POST /api/v1/commitments/TST-002/lead-board/":     (401, 403, 403, 403, 201, 201, 403, 403),
    "POST /api/v1/commitments/TST-002/lead-board/ (an unknown board)": (401, 403, 403, 403, 400, 400, 403, 403),
    "POST /api/v1/commitments/TST-001/lead-board/":     (401, 403, 403, 403, 403, 201, 403, 403),
    "POST /api/v1/obligations/{obligation}/owner/":     (401, 403, 201, 403, 201, 201, 403, 201),
    "POST /api/v1/obligations/{obligation}/owner/ (another party's officer)": (401, 403, 400, 403, 400, 400, 403, 400),
    "POST /api/v1/obligations/{obligation}/owner/ (a stale version)": (401, 403, 409, 403, 409, 409, 403, 409),
    "POST /api/v1/actions/{action}/owner/":             (401, 403, 201, 403, 201, 201, 403, 201),
    # Money and estates (issue 16): as on the pages; a partner's write key acts for party A's officer.
    "POST /api/v1/funding-streams/":                    (401, 403, 403, 403, 201, 201, 403, 403),
    "PATCH /api/v1/funding-streams/matrix-fund/":       (401, 403, 403, 403, 200, 200, 403, 403),
    "POST /api/v1/funding-lines/":                      (401, 403, 403, 403, 201, 201, 403, 403),
    "PATCH /api/v1/funding-lines/{line}/":              (401, 403, 200, 403, 200, 200, 403, 200),
    "PATCH /api/v1/funding-lines/{line}/ (its party)":  (401, 403, 403, 403, 200, 200, 403, 403),  # officers: amounts only
    "POST /api/v1/capital-budgets/":                    (401, 403, 403, 403, 403, 201, 403, 403),
    "PATCH /api/v1/capital-budgets/2018/":              (401, 403, 403, 403, 403, 200, 403, 403),
    "POST /api/v1/disposals/":                          (401, 403, 403, 403, 403, 201, 403, 403),
    "POST /api/v1/disposals/ (a sub-region not the borough's)": (401, 403, 403, 403, 403, 400, 403, 403),
    "PATCH /api/v1/disposals/{disposal}/":              (401, 403, 200, 403, 403, 200, 403, 200),
    "PATCH /api/v1/disposals/{disposal}/ (a receipt before completion)": (401, 403, 400, 403, 403, 400, 403, 400),
    "PATCH /api/v1/disposals/{disposal}/ (its decision)": (401, 403, 403, 403, 403, 200, 403, 403),  # the board's, not the owner's
    "DELETE /api/v1/disposals/{disposal}/":             (401, 405, 405, 405, 405, 405, 403, 405),
    "POST /api/v1/commitments/ (create)":               (401, 405, 405, 405, 405, 405, 405, 405),
    "DELETE /api/v1/obligations/{obligation}/":         (401, 405, 405, 405, 405, 405, 405, 405),
    "PATCH /api/v1/actions/{action}/":                  (401, 405, 405, 405, 405, 405, 405, 405),
    # Webhooks: registering reads as the token used, so needs a write token (a session is refused,
    # administrators register on the page); the rest is for the organisation's members and
    # administrators, and a token needs the write scope.
    "POST /api/v1/webhooks/ (register)":                (401, 403, 403, 403, 403, 403, 403, 201),
    "PATCH /api/v1/webhooks/{subscription}/":           (401, 404, 200, 404, 404, 200, 403, 200),
    "POST /api/v1/webhooks/{subscription}/test/":       (401, 404, 201, 404, 404, 201, 403, 201),
    "POST /api/v1/webhooks/{subscription}/rotate-secret/": (401, 404, 200, 404, 404, 200, 403, 200),
    "POST /api/v1/webhooks/{subscription}/deliveries/{event}/redeliver/": (401, 404, 200, 404, 404, 200, 403, 200),
    "DELETE /api/v1/webhooks/{subscription}/":          (401, 404, 204, 404, 404, 204, 403, 204),
}
# fmt: on

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Outcome:
    status: int
    location: str


def clients_for(
    world: Any, officer: Any, other_officer: Any, secretary: Any, viewer: Any, admin_user: Any, partner: Any
) -> dict[str, APIClient]:
    """One client per role: a signed-in session for people, an ``Authorization`` header for tokens."""
    out: dict[str, APIClient] = {"anonymous": APIClient()}
    for role, user in (
        ("viewer", viewer),
        ("officer_a", officer),
        ("officer_b", other_officer),
        ("secretary", secretary),
        ("admin", admin_user),
    ):
        client = APIClient()
        client.force_login(user)
        out[role] = client
    for role, scope in (("read_token", ApiToken.Scope.READ), ("write_token", ApiToken.Scope.WRITE)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user=partner, scope=scope)[1]}")
        out[role] = client
    return out


def _path(template: str, world: Any) -> str:
    keys = {
        "obligation": world.obligation.pk,
        "other": world.other_obligation.pk,
        "action": world.action.pk,
        "meeting": world.meeting.pk,
        "lc_meeting": world.lc_meeting.pk,
        "report": world.report.pk,
        "update": world.update.pk,
        "commitment_id": world.commitment.pk,
        "period": world.period.pk,
        "closed_period": world.closed_period.pk,
        "subscription": world.subscription.pk,
        "event": world.webhook_event.msg_id,
        "pending": world.pending.pk,
        "own_pending": world.own_pending.pk,
        "decided_pending": world.decided_pending.pk,
        "dependency": world.dependency.pk,
        "line": world.line.pk,
        "disposal": world.disposal.pk,
    }
    return template.split(" (")[0].format(**keys)


def _target(path: str) -> Any:
    """The trackable item a write URL names, read fresh (its version now)."""
    if m := re.match(r"^(?:/api/v1)?/obligations/(\d+)/", path):
        return Obligation.objects.get(pk=m.group(1))
    if m := re.match(r"^(?:/api/v1)?/actions/(\d+)/", path):
        return Action.objects.get(pk=m.group(1))
    if m := re.match(r"^(?:/api/v1)?/commitments/([^/]+)/", path):
        return Commitment.objects.get(ref=m.group(1))
    raise AssertionError(path)


def _form_post(path: str) -> dict[str, Any]:
    """A valid update form as the page would post it: the current version and a note."""
    target = _target(path)
    return {
        "version": target.version,
        "status": target.status,
        "rag": target.rag,
        "progress": target.progress,
        "note": "Checked by the matrix.",
    }


def _import_csv(world: Any) -> bytes:
    action = Action.objects.get(pk=world.action.pk)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["action_id", "version", "progress", "note"])
    writer.writerow([action.pk, action.version, 55, "Imported by the matrix."])
    return out.getvalue().encode()


def _upload(client: APIClient, world: Any) -> Any:
    upload = io.BytesIO(_import_csv(world))
    upload.name = "updates.csv"
    return client.post("/import/", {"file": upload})


def _prerequisite(operation: str) -> str:
    """What TST-001 is to wait on: itself for "(itself)", else TST-002 (a cycle once ``prepare``
    made TST-002 wait on TST-001)."""
    return "TST-001" if "(itself)" in operation else "TST-002"


def _assign(operation: str, path: str, client: APIClient) -> Any:
    """An assignment (issue 16) as the page or the API sends it: a board or an owner different from
    the current one (the SPB, else Leaders' Committee; alice, else the partner account, both party
    A's officers), a reason and the version; "(an unknown board)", "(another party's officer)"
    (bob, party B's) and "(a stale version)" send what must be refused."""
    target = _target(path)
    body: dict[str, Any] = {"reason": "Assigned by the matrix.", "version": target.version + (5 if "(a stale version)" in operation else 0)}
    if path.endswith("/lead-board/"):
        body["board"] = (
            "ZZZ" if "(an unknown board)" in operation else ("LC" if target.lead_board_id and target.lead_board.code == "SPB" else "SPB")
        )
    else:
        current = target.owner.get_username() if target.owner_id else ""
        body["owner"] = "bob" if "(another party's officer)" in operation else ("partner" if current == "alice" else "alice")
    return client.post(path, body, format="json") if path.startswith("/api/v1/") else client.post(path, body)


def perform(operation: str, client: APIClient, world: Any) -> Outcome:
    """Send one operation of the matrix as the role's client would."""
    method, template = operation.split(" ", 1)
    path = _path(template, world)
    if operation.startswith("POST /import/confirm/"):
        preview = _upload(client, world)
        if preview.status_code != 200:
            return Outcome(preview.status_code, preview.get("Location", ""))
        token = re.search(rb'name="token" value="([^"]+)"', preview.content)
        response = client.post("/import/confirm/", {"token": token.group(1).decode() if token else "no-preview"})
    elif operation.startswith("POST /import/"):
        response = _upload(client, world)
    elif method == "GET":
        response = client.get(path)
    elif path.startswith(FINANCE_WRITES):
        response = finance_perform(operation, method, path, client, world)
    elif path.endswith(("/lead-board/", "/owner/")):
        response = _assign(operation, path, client)
    elif path.startswith("/api/v1/pending-updates/") and path.endswith("/return/"):
        response = client.post(path, {"comment": "Returned by the matrix."}, format="json")
    elif re.match(r"^/approvals/\d+/$", path):
        decision = "return" if "(return)" in operation else "approve"
        response = client.post(path, {"decision": decision, "comment": "Decided by the matrix."})
    elif path.endswith("/dependencies/add/"):
        response = client.post(path, {"waiting": "commitment", "prerequisite_commitment": _prerequisite(operation)})
    elif path == "/api/v1/dependencies/":
        response = client.post(path, {"commitment": "TST-001", "prerequisite_commitment": _prerequisite(operation)}, format="json")
    elif path.startswith("/boards/") and path.endswith("/approval/"):
        response = client.post(path, {"requires_approval": "on"})
    elif path.endswith("/assurance/"):
        # A rating different from the one an earlier role's allowed write left, and a reason.
        target = _target(path)
        body = {"rag": "amber" if target.assurance_rag == "red" else "red", "reason": "Checked by the matrix.", "version": target.version}
        response = client.post(path, body, format="json") if path.startswith("/api/v1/") else client.post(path, body)
    elif path.startswith("/api/v1/") and path.endswith("/updates/"):
        response = client.post(path, {"note": "Checked by the matrix.", "version": _target(path).version}, format="json")
    elif path == "/api/v1/webhooks/":
        response = client.post(path, {"endpoint": "https://hooks.example.org/matrix", "event_types": ["obligation.updated"]}, format="json")
    elif path.startswith("/api/v1/webhooks/") and method == "PATCH":
        response = client.patch(path, {"description": "Changed by the matrix."}, format="json")
    elif path.startswith("/api/v1/"):
        response = client.generic(method, path, "{}", content_type="application/json")
    elif path.endswith("/update/"):
        response = client.post(path, _form_post(path))
    elif path.endswith("/actions/add/"):
        response = client.post(
            path, {"description": "A step added by the matrix", "due_date-day": "1", "due_date-month": "6", "due_date-year": "2031"}
        )
    elif path.startswith("/notifications/"):
        response = client.post(path, {"digests": "no"})
    elif path == "/webhooks/new/":
        response = client.post(
            path,
            {
                "party": world.subscription.party_id,
                "token": world.subscription.token_id,
                "endpoint": "https://hooks.example.org/matrix",
                "event_types": ["obligation.updated"],
            },
        )
    elif path.endswith("/state/"):
        response = client.post(path, {"active": "false"})
    elif path == "/periods/new/":
        response = client.post(
            path,
            {
                "board": world.period.board_id,
                "name": "Matrix period",
                **{f"starts_on-{part}": value for part, value in zip(("day", "month", "year"), ("1", "1", "2040"), strict=True)},
                **{f"ends_on-{part}": value for part, value in zip(("day", "month", "year"), ("31", "1", "2040"), strict=True)},
            },
        )
    elif path == "/admin/boards/party/add/":
        response = client.post(path, {"name": "Matrix party", "slug": "matrix-party", "type": "other", "notes": "", "source": ""})
    else:  # the meeting's build button, and the webhooks page's buttons
        response = client.post(path)
    return Outcome(response.status_code, response.get("Location", ""))


def matches(expected: Any, outcome: Outcome) -> bool:
    if expected == LOGIN:
        return outcome.status == 302 and outcome.location.startswith("/accounts/login/")
    if expected == ADMIN_LOGIN:
        return outcome.status == 302 and outcome.location.startswith("/admin/login/")
    if expected == REFUSED:
        return outcome.status < 400
    if expected == 302:  # a redirect, but not a disguised refusal to sign in
        return outcome.status == 302 and not outcome.location.startswith(("/accounts/login/", "/admin/login/"))
    return outcome.status == expected


def is_allowed_write(operation: str, expected: Any) -> bool:
    """An allowed write must change something; every other cell must change nothing."""
    method, template = operation.split(" ", 1)
    if method not in WRITE_METHODS or expected in (LOGIN, ADMIN_LOGIN, REFUSED) or not isinstance(expected, int):
        return False
    return expected < 400 and "(preview only)" not in template


def test_the_matrix_covers_every_role_and_is_well_formed() -> None:
    for operation, cells in MATRIX.items():
        assert len(cells) == len(ROLES), operation
        assert operation.split(" ", 1)[0] in ("GET", "POST", "PATCH", "DELETE"), operation


def test_every_page_url_pattern_is_in_the_matrix() -> None:
    """A new page or endpoint must be given its row here before it ships."""
    from django.urls import get_resolver

    def walk(patterns: Any, prefix: str = "") -> list[str]:
        out = []
        for p in patterns:
            route = prefix + str(p.pattern)
            if hasattr(p, "url_patterns"):
                if route.startswith("admin/"):
                    continue  # the Django admin: its index and one add form stand for it
                out.extend(walk(p.url_patterns, route))
            else:
                out.append(route)
        return out

    def shape(text: str) -> str:
        # "/meetings/{meeting}/" and "meetings/<int:pk>/" both become "meetings/*/".
        text = re.sub(r"\(\?P<[^>]+>[^)]*\)|<[^>]+>|\{[^}]+\}|\[[^\]]*\]\+?", "*", text.replace("^", "").replace("$", ""))
        return re.sub(r"\\", "", text).lstrip("/")

    covered = {shape(op.split(" ", 1)[1].split(" (")[0].split("?")[0]) for op in MATRIX}
    # Keys of the fixture's objects, the names of the dashboards' breakdown pages, and an open data file.
    known_keys = {
        "TST-001",
        "SPB",
        "spb",
        "hackney",
        "party-a",
        "mou-2017",
        "capital-and-estates",
        "overdue",
        "trends",
        "due",
        "datapackage.json",
        "matrix-fund",
        "2018",
    }
    covered |= {"/".join("*" if part in known_keys else part for part in c.split("/")) for c in covered}
    # Not operations on data: the sign-out form (tested in tests/boards/test_accounts.py), the password change
    # confirmation, the API's catch-all 404, the cookies page, and the ``.{format}`` suffixes.
    ignored = {"accounts/logout/", "accounts/password/change/done/", "*", "cookies/", "api/v1/*"}
    missing = sorted(
        route
        for route in map(shape, walk(get_resolver().url_patterns))
        if route not in covered and route not in ignored and "format" not in route and ".*" not in route
    )
    assert not missing, f"URL patterns with no row in the permission matrix: {missing}"


def prepare(operation: str, world: Any) -> None:
    """Reset what an earlier role's allowed write left that would hide the next role's: a build
    still in flight is returned to a second request rather than started again (a double-click
    builds once), so each role's build starts from none in flight; a removed webhook subscription
    is put back (with its event), and a redelivered event is delivered again, so that the next
    role's removal or redelivery has something to change."""
    if operation.endswith("/build/"):
        Report.objects.filter(state__in=[Report.State.PENDING, Report.State.BUILDING]).update(state=Report.State.FAILED)
    if "webhooks/{subscription}" in operation and not Subscription.objects.filter(pk=world.subscription.pk).exists():
        world.subscription.save(force_insert=True)
        world.webhook_event.save(force_insert=True)
    if (
        "{pending}" in operation or "{own_pending}" in operation
    ):  # an earlier role's decision is undone, so the next one has something to decide
        PendingUpdate.objects.filter(pk__in=[world.pending.pk, world.own_pending.pk]).update(
            state=PendingUpdate.State.SUBMITTED, decided_by=None, decided_at=None, comment="", published=None
        )
    if operation.endswith("/approval/"):
        Board.objects.filter(pk=world.board.pk).update(requires_approval=False)
    if "dependencies" in operation:  # only the world's own dependency, and for "(a cycle)" TST-002 waiting on TST-001
        Dependency.objects.exclude(pk=world.dependency.pk).delete()
        if not Dependency.objects.filter(pk=world.dependency.pk).exists():
            world.dependency.save(force_insert=True)
        if "(a cycle)" in operation:
            Dependency.objects.create(commitment=world.second, prerequisite_commitment=world.commitment)
    if "/lead-board/" in operation:  # TST-001 led by the SPB, TST-002 by no board, as the world made them
        Commitment.objects.filter(pk=world.commitment.pk).update(lead_board=world.board)
        Commitment.objects.filter(pk=world.second.pk).update(lead_board=None)
    if "/owner/" in operation:  # the obligation owned by party A's officer, the action by nobody
        Obligation.objects.filter(pk=world.obligation.pk).update(owner=world.obligation.owner_id)
        Action.objects.filter(pk=world.action.pk).update(owner=None)
    finance_prepare(operation, world)
    if operation.endswith("/redeliver/"):
        Event.objects.filter(pk=world.webhook_event.pk).update(state=Event.State.DELIVERED, attempts=1, next_attempt_at=None)


READS = [op for op in MATRIX if op.startswith("GET ")]
WRITES = [op for op in MATRIX if not op.startswith("GET ")]


@pytest.mark.parametrize("role", ROLES)
def test_what_each_role_may_read(
    role: str, rel_world: Any, officer: Any, other_officer: Any, secretary: Any, viewer: Any, admin_user: Any, partner: Any
) -> None:
    """Every GET row of the matrix for one role; reading changes nothing, even the forms' GETs."""
    client = clients_for(rel_world, officer, other_officer, secretary, viewer, admin_user, partner)[role]
    before = snapshot()
    wrong = []
    for operation in READS:
        expected = MATRIX[operation][ROLES.index(role)]
        outcome = perform(operation, client, rel_world)
        if not matches(expected, outcome):
            wrong.append(f"{operation}: expected {expected}, got {outcome.status} {outcome.location}".strip())
    assert not wrong, f"{role}:\n  " + "\n  ".join(wrong)
    assert snapshot() == before


@pytest.mark.parametrize("operation", WRITES)
def test_who_may_write(
    operation: str, rel_world: Any, officer: Any, other_officer: Any, secretary: Any, viewer: Any, admin_user: Any, partner: Any
) -> None:
    """One write row for every role in turn: an allowed write changes the snapshot, a denied or
    refused one leaves every count and every version exactly as it was."""
    clients = clients_for(rel_world, officer, other_officer, secretary, viewer, admin_user, partner)
    wrong = []
    for role, expected in zip(ROLES, MATRIX[operation], strict=True):
        prepare(operation, rel_world)
        before = snapshot()
        outcome = perform(operation, clients[role], rel_world)
        after = snapshot()
        if not matches(expected, outcome):
            wrong.append(f"{role}: expected {expected}, got {outcome.status} {outcome.location}".strip())
        elif is_allowed_write(operation, expected):
            if after == before:
                wrong.append(f"{role}: allowed, but nothing was written")
        elif after != before:
            changed = sorted(k for k in before if before[k] != after[k])
            wrong.append(f"{role}: answered {outcome.status} but changed {changed}")
    assert not wrong, f"{operation}:\n  " + "\n  ".join(wrong)


def matrix_as_markdown() -> str:
    """The matrix as docs/security.md prints it (generated here, so the two cannot drift)."""
    names = {LOGIN: "sign-in", ADMIN_LOGIN: "admin sign-in", REFUSED: "refused"}
    head = "| operation | " + " | ".join(r.replace("_", " ") for r in ROLES) + " |"
    lines = [head, "|" + "---|" * (len(ROLES) + 1)]
    for operation, cells in MATRIX.items():
        shown = [names.get(c, str(c)) if isinstance(c, str) else str(c) for c in cells]
        lines.append(f"| `{operation}` | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def test_docs_security_prints_this_matrix() -> None:
    from django.conf import settings

    doc = (settings.BASE_DIR / "docs" / "security.md").read_text()
    assert matrix_as_markdown() in doc, "regenerate the table in docs/security.md from matrix_as_markdown()"
