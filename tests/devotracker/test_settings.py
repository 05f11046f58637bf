"""Settings come only from environment variables, parsed strictly, with safe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from devotracker import settings as project_settings

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "PRODUCTION", "ALLOWED_HOSTS", "CELERY_BROKER_URL"}
    }
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_env_bool_is_strict(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert project_settings.env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert project_settings.env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        project_settings.env_bool("X_FLAG", False)


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert project_settings.env_int("X_NUM", 1) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured):
        project_settings.env_int("X_NUM", 1)
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert project_settings.env_list("X_LIST", []) == ["a.example", "b.example"]


def test_secret_from_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret-from-file\n")
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert project_settings.env_secret("X_SECRET") == "s3cret-from-file"


SHOW = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='devotracker.settings'; django.setup(); from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL.split(':')[0], s.DEBUG)"


def test_defaults_are_the_embedded_quick_start(tmp_path):
    result = run_python(SHOW, DATABASE_URL="", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem", "False"]
    assert (tmp_path / ".secret_key").exists()


def test_database_and_broker_urls_are_honoured(tmp_path):
    result = run_python(
        SHOW, DATABASE_URL="postgres://u:p@db.example:5432/x", CELERY_BROKER_URL="redis://r.example:6379/0", VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["django.db.backends.postgresql", "redis"]


STATEMENT = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='devotracker.settings'; django.setup();"
    " from django.db import connection, utils\n"
    "with connection.cursor() as c:\n"
    "    c.execute('SHOW statement_timeout'); print(c.fetchone()[0])\n"
    "    try:\n"
    "        c.execute('SELECT pg_sleep(3)'); print('finished')\n"
    "    except utils.OperationalError as e:\n"
    "        print('cancelled:', e)\n"
)


@pytest.mark.postgresql(reason="the statement timeout is PostgreSQL's")
@pytest.mark.parametrize(
    ("value", "shown", "outcome"), [("1", "1s", "cancelled: canceling statement due to statement timeout"), ("", "0", "finished")]
)
def test_a_statement_timeout_cancels_a_runaway_statement_with_an_error(tmp_path, value, shown, outcome):
    result = run_python(STATEMENT, DATABASE_URL=os.environ["DATABASE_URL"], DATABASE_STATEMENT_TIMEOUT=value, VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [shown, outcome]


def test_production_requires_a_secret_key(tmp_path):
    result = run_python(SHOW, PRODUCTION="true", ALLOWED_HOSTS="x.example", VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_a_bad_boolean_is_a_configuration_error(tmp_path):
    result = run_python(SHOW, DEBUG="perhaps", VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "DEBUG must be one of" in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        PRODUCTION="true",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="devotracker.example.org",
        VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_time_zone_is_london():
    assert project_settings.TIME_ZONE == "Europe/London" and project_settings.USE_TZ
