"""Backups: back up, wipe, restore, and find every row and every history entry identical."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from commitments.backup import fingerprint
from commitments.models import Commitment, StatusUpdate


@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore_round_trip(tmp_path, settings, capsys):
    settings.DEMO_PASSWORD = "backup-test-password"
    call_command("load_mou", verbosity=0)
    call_command("load_demo", verbosity=0)
    before = fingerprint()
    assert before["commitments_statusupdate"][0] > 500 and before["commitments_commitment"][0] == 83

    path = tmp_path / ("backup.dump" if connection.vendor == "postgresql" else "backup.sqlite3")
    call_command("backup", output=path)
    assert path.stat().st_size > 10_000

    call_command("flush", interactive=False, verbosity=0)  # the wipe
    assert Commitment.objects.count() == 0 and StatusUpdate.objects.count() == 0

    call_command("restore", str(path), yes=True)
    after = fingerprint()
    assert after == before  # every row of every table, history included, byte for byte


@pytest.mark.django_db
def test_restore_needs_confirmation(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x.dump"))


@pytest.mark.django_db
def test_restore_of_a_missing_file_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "missing.dump"), yes=True)
