"""The public-sector security baseline (issue 8 §6), checked on the running code.

Covered elsewhere and only referenced here: ``manage.py check --deploy`` under production settings
(tests/devotracker/test_settings.py::test_check_deploy_is_clean_in_production, also a step of
scripts/test.sh); the security headers of public pages and the nonce of the one inline script
(tests/devotracker/test_pages_and_headers.py); sign-in throttling, lockout and the sign-in audit
(tests/boards/test_accounts.py); revoked tokens and inactive users answered 401
(tests/api/test_errors.py); the dependency audit is ``bash scripts/audit.sh`` (docs/security.md).

Here: the Content-Security-Policy of every page type a signed-in person sees; HSTS and secure,
HttpOnly cookies in a process started with ``PRODUCTION=true``; password rules; session expiry;
API keys stored only as hashes and revocable from the admin, with the revocation logged; the audit
log of administrative changes; and CSRF on every form that writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from boards.models import ApiToken, Party, SignInEvent

from ..conftest import PASSWORD, token_client
from .conftest import snapshot

pytestmark = pytest.mark.django_db


# --- Content-Security-Policy on every page type ---------------------------------------------------


def csp(response: Any) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split(";") if part.strip()}


PAGE_TYPES = [
    ("my work", "officer", "/my-work/"),
    ("a list with filters", "officer", "/commitments/?status=in_progress"),
    ("a commitment", "officer", "/commitments/TST-001/"),
    ("an update form", "officer", "/obligations/{obligation}/update/"),
    ("a form with errors", "officer", "POST /obligations/{obligation}/update/"),
    ("the import", "officer", "/import/"),
    ("a dashboard", "viewer", "/dashboard/"),
    ("a dashboard CSV", "viewer", "/dashboard/?format=csv&table=summary"),
    ("meetings", "viewer", "/meetings/"),
    ("a built paper", "viewer", "/meetings/reports/{report}/"),
    ("digest settings", "viewer", "/notifications/"),
    ("password change", "viewer", "/accounts/password/change/"),
    ("403", "viewer", "/obligations/{obligation}/update/"),
    ("404", "viewer", "/commitments/NOPE-404/"),
    ("the admin", "admin_user", "/admin/"),
    ("an admin form", "admin_user", "/admin/boards/party/add/"),
    ("the API", "viewer", "/api/v1/commitments/"),
    ("the API's HTML view", "viewer", "/api/v1/commitments/?format=api"),
    ("an API error", "anonymous", "/api/v1/commitments/"),
    ("sign-in", "anonymous", "/accounts/login/"),
    ("health", "anonymous", "/health/"),
]


@pytest.mark.parametrize(("what", "who", "url"), PAGE_TYPES, ids=[p[0] for p in PAGE_TYPES])
def test_every_page_type_has_a_csp_without_unsafe_inline_scripts(what: str, who: str, url: str, rel_world: Any, request: Any) -> None:
    client = Client(raise_request_exception=False)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    path = url.removeprefix("POST ").format(obligation=rel_world.obligation.pk, report=rel_world.report.pk)
    response = client.post(path, {"version": "x"}) if url.startswith("POST ") else client.get(path)
    assert response.status_code < 500, response.status_code

    policy = csp(response)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    # django-csp adds a nonce only to a response whose template used one; no nonce, no inline script.
    found = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    nonce = found.group(1) if found else None
    if response.get("Content-Type", "").startswith("text/html"):
        # Every inline script carries this response's nonce; every other script is a file of ours.
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.S):
            if "src=" in attrs:
                src = re.search(r'src="([^"]+)"', attrs).group(1)
                assert src.startswith("/") and not src.startswith("//"), (what, src)  # our own origin
            else:
                assert nonce is not None and f'nonce="{nonce}"' in attrs, (what, attrs, body[:80])
        assert not re.search(r"<[^>]+\son(click|load|error|submit|change)=", response.content.decode())  # no inline handlers


# --- production settings: HSTS, secure and HttpOnly cookies ---------------------------------------

PRODUCTION_PROBE = r"""
import json, os, django
django.setup()
from django.test import Client
from django.test.utils import override_settings
from django.conf import settings
out = {"settings": {k: getattr(settings, k) for k in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
       "CSRF_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "DEBUG",
       "SESSION_COOKIE_SAMESITE", "SESSION_EXPIRE_AT_BROWSER_CLOSE")}}
# Static files as if collectstatic had run (a production deploy runs it; a test need not).
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    c = Client(HTTP_X_FORWARDED_PROTO="https")
    plain = Client().get("/accounts/login/")
    page = c.get("/accounts/login/")
    signed_in = c.post("/accounts/login/", {"username": os.environ["PROBE_USER"], "password": os.environ["PROBE_PASSWORD"]})
    out["http"] = [plain.status_code, plain.get("Location", "")]
    out["hsts"] = page.get("Strict-Transport-Security", "")
    out["cookies"] = {name: {k: str(v) for k, v in morsel.items()} for r in (page, signed_in) for name, morsel in r.cookies.items()}
    out["signed_in"] = [signed_in.status_code, signed_in.get("Location", "")]
print(json.dumps(out, default=str))
"""


@pytest.mark.postgresql(
    reason="the production probe runs in another process against the test database, which an in-memory SQLite one is not"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_production_sends_hsts_and_only_secure_httponly_cookies(officer: Any, tmp_path: Path) -> None:
    # The probe runs with the production password hashers (this process uses a fast test one).
    officer.password = PBKDF2PasswordHasher().encode(PASSWORD, "probesalt", iterations=1000)
    officer.save(update_fields=["password"])
    s = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"}}
    env.update(
        DJANGO_SETTINGS_MODULE="devotracker.settings",
        PRODUCTION="true",
        SECRET_KEY="probe-" + "k" * 60,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        VAR_DIR=str(tmp_path),
        PROBE_USER=officer.username,
        PROBE_PASSWORD=PASSWORD,
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])

    prod = out["settings"]
    assert prod["DEBUG"] is False and prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000 and prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert out["http"][0] == 301 and out["http"][1].startswith("https://")  # plain HTTP is sent to HTTPS
    assert out["hsts"].startswith("max-age=31536000") and "includeSubDomains" in out["hsts"]
    assert out["signed_in"][0] == 302 and "/accounts/login/" not in out["signed_in"][1]
    cookies = out["cookies"]
    assert {"sessionid", "csrftoken"} <= set(cookies), cookies
    for name, attrs in cookies.items():
        assert attrs["secure"] == "True", (name, attrs)
        assert attrs["httponly"] == "True", (name, attrs)
        assert attrs["samesite"] == "Lax", (name, attrs)
    assert cookies["sessionid"]["max-age"] == "" and cookies["sessionid"]["expires"] == ""  # ends with the browser


# --- passwords and sessions -----------------------------------------------------------------------


@pytest.mark.parametrize("password", ["short1!", "password1234", "123456789012", "aliceofficer1", "qwertyuiop12"])
def test_weak_passwords_are_refused(password: str, officer: Any) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, user=officer)


def test_a_long_uncommon_password_is_accepted(officer: Any) -> None:
    validate_password("violet-harbour-lantern-42", user=officer)


def test_a_session_ends_after_its_age_and_the_next_page_asks_to_sign_in_again(officer: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    client.force_login(officer)
    assert client.get("/my-work/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        response = client.get("/my-work/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/my-work/")
    # A session the server has expired is refused even inside the cookie's lifetime.
    client.force_login(officer)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/my-work/")["Location"].startswith("/accounts/login/")


def test_sign_ins_and_failures_are_in_the_audit_log(officer: Any) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": officer.username, "password": "wrong"})
    client.post("/accounts/login/", {"username": officer.username, "password": PASSWORD})
    assert list(SignInEvent.objects.order_by("at").values_list("username", "kind")) == [
        (officer.username, "failure"),
        (officer.username, "success"),
    ]


# --- API keys: hashed, revocable, revocation logged -----------------------------------------------


def test_api_keys_are_stored_only_as_hashes(partner: Any, capsys: Any) -> None:
    call_command("create_api_token", partner.username)
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        stored = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert key not in stored and key[8:] not in stored  # not the key, nor its secret part
    assert token_client(key).get("/api/v1/themes/").status_code == 200


def test_an_administrator_revokes_a_token_it_stops_working_and_the_admin_log_says_who(partner: Any, admin_user: Any) -> None:
    token, key = ApiToken.issue(user=partner, scope="write")
    api = token_client(key)
    assert api.get("/api/v1/themes/").status_code == 200
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post("/admin/boards/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert api.get("/api/v1/themes/").status_code == 401
    entry = LogEntry.objects.get(object_id=str(token.pk))
    assert entry.user == admin_user and entry.action_flag == CHANGE and "Revoked at" in entry.get_change_message()


# --- the audit log of administrative changes ------------------------------------------------------


def test_an_admin_change_is_logged_and_the_log_is_visible_but_read_only(admin_user: Any, party_a: Any) -> None:
    admin = Client()
    admin.force_login(admin_user)
    data = {"name": "Party A (renamed)", "slug": party_a.slug, "type": party_a.type, "notes": "", "source": ""}
    assert admin.post(f"/admin/boards/party/{party_a.pk}/change/", data).status_code == 302
    entry = LogEntry.objects.get()
    assert (entry.user, entry.action_flag, entry.object_repr) == (admin_user, CHANGE, "Party A (renamed)")
    assert "Name" in entry.get_change_message()

    listing = admin.get("/admin/admin/logentry/")
    assert listing.status_code == 200 and b"Party A (renamed)" in listing.content
    assert admin.get("/admin/admin/logentry/add/").status_code == 403
    assert admin.post(f"/admin/admin/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.post(f"/admin/admin/logentry/{entry.pk}/change/", {"change_message": "edited"}).status_code == 403
    assert LogEntry.objects.get().get_change_message() == entry.get_change_message()
    # The sign-in log is read-only in the same way.
    assert admin.get("/admin/boards/signinevent/add/").status_code == 403


# --- CSRF on every form that writes ---------------------------------------------------------------

CSRF_FORMS = [
    ("officer", "/obligations/{obligation}/update/"),
    ("officer", "/actions/{action}/update/"),
    ("officer", "/obligations/{obligation}/actions/add/"),
    ("officer", "/import/"),
    ("officer", "/import/confirm/"),
    ("officer", "/notifications/"),
    ("officer", "/accounts/password/change/"),
    ("officer", "/accounts/logout/"),
    ("secretary", "/commitments/TST-001/update/"),
    ("secretary", "/meetings/{meeting}/build/"),
    ("admin_user", "/admin/boards/party/add/"),
    ("anonymous", "/accounts/login/"),
    ("officer", "/api/v1/obligations/{obligation}/updates/"),
]


def test_every_form_that_writes_refuses_a_post_without_the_csrf_token(rel_world: Any, request: Any) -> None:
    before = snapshot()
    refused = []
    for who, url in CSRF_FORMS:
        client = Client(enforce_csrf_checks=True)
        if who != "anonymous":
            client.force_login(request.getfixturevalue(who))
        path = url.format(obligation=rel_world.obligation.pk, action=rel_world.action.pk, meeting=rel_world.meeting.pk)
        ok_data = {
            "version": 1,
            "status": "in_progress",
            "note": "x",
            "digests": "no",
            "username": "alice",
            "password": PASSWORD,
            "name": "P",
        }
        response = client.post(path, ok_data)
        if response.status_code != 403:
            refused.append((path, response.status_code))
    assert not refused, f"accepted without a CSRF token: {refused}"
    assert snapshot() == before
    assert Party.objects.filter(name="P").count() == 0
