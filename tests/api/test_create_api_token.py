"""``manage.py create_api_token USERNAME [--read-only] [--name NAME]`` (DESIGN.md §10): only the
key on stdout, messages on stderr, a new token each call, non-zero exit for an unknown user."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from boards.models import ApiToken

from ..conftest import token_client
from ..factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_it_prints_only_a_working_write_key_and_stores_its_hash(partner: Any, world: Any) -> None:
    out, err = run("partner", "--name", "NHS England tracker")
    key = out.strip()
    assert out == key + "\n" and len(key) >= 40 and " " not in key
    token = ApiToken.objects.get()
    assert token.scope == "write" and token.name == "NHS England tracker" and token.user == partner
    assert key not in token.key_hash and token.prefix == key[:8]
    assert "write token" in err and key not in err
    ob = world.obligation
    response = token_client(key).post(
        f"/api/v1/obligations/{ob.pk}/updates/", {"note": "via the key", "version": ob.version}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_read_only_tokens_read_but_may_not_write(partner: Any, world: Any) -> None:
    key = run("partner", "--read-only")[0].strip()
    assert ApiToken.objects.get().scope == "read"
    client = token_client(key)
    assert client.get("/api/v1/commitments/").status_code == 200
    ob = world.obligation
    assert client.post(f"/api/v1/obligations/{ob.pk}/updates/", {"note": "x", "version": ob.version}, format="json").status_code == 403


@pytest.mark.django_db
def test_each_call_adds_a_token(partner: Any) -> None:
    keys = {run("partner")[0].strip() for _ in range(3)}
    assert len(keys) == 3 and ApiToken.objects.filter(user=partner).count() == 3


@pytest.mark.django_db
def test_unknown_and_inactive_users_are_refused(db: Any) -> None:
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("ghost")
    UserFactory(username="gone", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        run("gone")
    with pytest.raises(CommandError, match="100 characters"):
        run("gone", "--name", "x" * 101)
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="the command runs in another process, which cannot reach an in-memory SQLite test database")
def test_as_a_process_stdout_is_the_key_alone_and_failure_exits_non_zero(partner: Any) -> None:
    # The same server and credentials as this run, pointed at the test database.
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    env = {**os.environ, "DATABASE_URL": url}
    ok = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "partner"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert len(ok.stdout.splitlines()) == 1 and ApiToken.find(ok.stdout.strip()) is not None
    bad = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "ghost"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode != 0 and bad.stdout == "" and "No user named 'ghost'" in bad.stderr
