"""Backup and restore of the whole database (``manage.py backup`` / ``manage.py restore``).

PostgreSQL: ``pg_dump --format=custom`` (consistent snapshot, compressed) and ``pg_restore --clean``
into the configured database. SQLite (the quick start): SQLite's online backup API, which copies a
consistent snapshot even while web, worker and beat are writing.

Uploaded and generated files (reports' PDFs under MEDIA_ROOT) are not in the database: back up that
folder alongside (see docs/operations.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, connections

from devotracker.db import refresh_planner_statistics


class BackupError(Exception):
    pass


def _pg_env(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["-h", settings_dict.get("HOST") or "127.0.0.1", "-p", str(settings_dict.get("PORT") or 5432), "-U", settings_dict["USER"]]
    env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(cmd[0])
    if tool is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian package postgresql-client).")
    result = subprocess.run([tool, *cmd[1:]], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {result.stderr.strip()[:2000]}")


def backup(path: Path) -> Path:
    """Write a backup of the default database to ``path``."""
    settings_dict = connection.settings_dict
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "postgresql":
        args, env = _pg_env(settings_dict)
        _run(["pg_dump", *args, "--format=custom", "--no-owner", "--no-privileges", "--file", str(path), settings_dict["NAME"]], env)
    elif connection.vendor == "sqlite":
        source = sqlite3.connect(settings_dict["NAME"])
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:  # pragma: no cover
        raise BackupError(f"backups of {connection.vendor} are not supported")
    return path


def restore(path: Path) -> None:
    """Replace the default database's contents with the backup at ``path``."""
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    settings_dict = connection.settings_dict
    connections.close_all()
    if connection.vendor == "postgresql":
        args, env = _pg_env(settings_dict)
        _run(
            [
                "pg_restore",
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "-d",
                settings_dict["NAME"],
                str(path),
            ],
            env,
        )
        refresh_planner_statistics()  # pg_restore brings back no statistics
    elif connection.vendor == "sqlite":
        source = sqlite3.connect(path)
        target = sqlite3.connect(settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:  # pragma: no cover
        raise BackupError(f"restores of {connection.vendor} are not supported")


def fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row of every table of the project's models (for checks)."""
    out: dict[str, tuple[int, str]] = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        columns = [f.column for f in model._meta.concrete_fields]
        digest = hashlib.sha256()
        count = 0
        with connection.cursor() as cursor:
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(
                f"SELECT {quoted} FROM {connection.ops.quote_name(table)} ORDER BY {connection.ops.quote_name(model._meta.pk.column)}"
            )
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
                count += 1
        out[table] = (count, digest.hexdigest())
    return out
