"""The sign-in audit log keeps 12 months, as the privacy notice says."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from boards.models import SignInEvent
from boards.tasks import purge_sign_in_events_task


@pytest.mark.django_db
def test_rows_older_than_the_retention_are_deleted(capsys):
    now = timezone.now()
    old = SignInEvent.objects.create(username="a", kind="success", at=now - dt.timedelta(days=366))
    recent = SignInEvent.objects.create(username="b", kind="failure", at=now - dt.timedelta(days=364))
    call_command("purge_sign_in_events")
    assert "Deleted 1" in capsys.readouterr().out
    assert list(SignInEvent.objects.all()) == [recent]
    assert not SignInEvent.objects.filter(pk=old.pk).exists()
    assert purge_sign_in_events_task() == 0
