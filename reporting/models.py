"""Reporting periods and the snapshots they freeze (issue 13).

A :class:`Snapshot` is the tracked state of every commitment, obligation and action on one London
day, written by the daily job (:mod:`reporting.snapshots`) as three set-based inserts, one per
table: :class:`CommitmentState`, :class:`ObligationState`, :class:`ActionState`. Snapshots are
kept daily for a while, then weekly (``SNAPSHOT_DAILY_DAYS``, ``SNAPSHOT_WEEKLY_DAY``).

A :class:`ReportingPeriod` is a stretch of a board's cycle ("Leaders' Committee, March 2027").
Closing it freezes a snapshot: from then on the snapshot and its rows can be neither changed nor
deleted, by the product, the admin or the retention job (the models refuse, and on PostgreSQL so
does the database). Papers for a closed period are built from its frozen snapshot, and the next
period's comparisons ("what changed since the last report") read it.

The state rows hold ids, not foreign keys with constraints, to the items they record: a frozen row
must outlive whatever happens to its item later, and a snapshot of a million actions must not pay
for a million foreign-key checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from boards.models import Board
from commitments.lifecycle import Status
from commitments.models import Rag

# Leaders' Committee: its report reads across the whole MoU, and its secretariat (London Councils')
# manages the reporting periods.
LEADERS_COMMITTEE_CODE = "LC"


class FrozenError(Exception):
    """A frozen snapshot (or a closed period) was asked to change."""


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def complete(self) -> SnapshotQuerySet:
        return self.filter(complete=True)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(frozen=True).exists():
            raise FrozenError("A frozen snapshot cannot be deleted.")
        return super().delete()

    def update(self, **kwargs: Any) -> int:
        if self.filter(frozen=True).exists():
            raise FrozenError("A frozen snapshot cannot be changed.")
        return super().update(**kwargs)


class Snapshot(models.Model):
    """The tracked state of everything on one London day. ``complete`` is set in the same
    transaction as the rows, so a snapshot is either whole or absent; ``frozen`` once a closed
    period holds it."""

    day = models.DateField(unique=True, help_text="The London day whose state this records.")
    taken_at = models.DateTimeField()
    complete = models.BooleanField(default=False)
    frozen = models.BooleanField(default=False, help_text="Held by a closed reporting period: never changed or deleted.")
    commitments = models.PositiveIntegerField(default=0)
    obligations = models.PositiveIntegerField(default=0)
    actions = models.PositiveIntegerField(default=0)
    log_mark = models.TextField(
        blank=True,
        help_text="The change log as the snapshot saw it (commitments.changes.log_mark): what changed since is today's figures' delta.",
    )

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Snapshot of {self.day:%-d %B %Y}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and Snapshot.objects.filter(pk=self.pk, frozen=True).exists():
            raise FrozenError("A frozen snapshot cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.frozen or Snapshot.objects.filter(pk=self.pk, frozen=True).exists():
            raise FrozenError("A frozen snapshot cannot be deleted.")
        return super().delete(*args, **kwargs)


class StateQuerySet(models.QuerySet[Any]):
    """State rows refuse bulk changes that would touch a frozen snapshot."""

    def _touches_frozen(self) -> bool:
        return self.filter(snapshot__frozen=True).exists()

    def update(self, **kwargs: Any) -> int:
        if self._touches_frozen():
            raise FrozenError("The rows of a frozen snapshot cannot be changed.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self._touches_frozen():
            raise FrozenError("The rows of a frozen snapshot cannot be deleted.")
        return super().delete()


class ItemState(models.Model):
    """What every state row records: the item's shown status, RAG and progress, its due date, whether
    it was overdue that day (by the one rule, :mod:`commitments.lifecycle`), when it was first seen
    overdue and the escalation step reached."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices)
    rag = models.CharField(max_length=5, choices=Rag.choices, blank=True)
    progress = models.PositiveSmallIntegerField()
    due_date = models.DateField(null=True)
    overdue = models.BooleanField()
    overdue_since = models.DateField(null=True)
    escalation_level = models.PositiveSmallIntegerField()

    objects = StateQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if Snapshot.objects.filter(pk=self.snapshot_id, frozen=True).exists():
            raise FrozenError("The rows of a frozen snapshot cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if Snapshot.objects.filter(pk=self.snapshot_id, frozen=True).exists():
            raise FrozenError("The rows of a frozen snapshot cannot be deleted.")
        return super().delete(*args, **kwargs)


class CommitmentState(ItemState):
    """A commitment on the snapshot's day: its shown state (the assessed one when recorded, else the
    roll-up, as the product shows it), with the two beside it; ``due_date`` is its target date."""

    commitment_id = models.BigIntegerField()
    theme_id = models.BigIntegerField()
    lead_board_id = models.BigIntegerField(null=True)
    assessed = models.BooleanField()
    rollup_status = models.CharField(max_length=12, choices=Status.choices)
    rollup_rag = models.CharField(max_length=5, choices=Rag.choices, blank=True)
    rollup_progress = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "commitment_id"], name="commitmentstate_once_per_snapshot")]

    def __str__(self) -> str:
        return f"Commitment {self.commitment_id} in snapshot {self.snapshot_id}"


class ObligationState(ItemState):
    obligation_id = models.BigIntegerField()
    commitment_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField(null=True)  # the commitment's; null in snapshots before it was recorded
    party_id = models.BigIntegerField()
    owner_id = models.BigIntegerField(null=True)
    assurance_rag = models.CharField(max_length=5, choices=Rag.choices, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "obligation_id"], name="obligationstate_once_per_snapshot")]

    def __str__(self) -> str:
        return f"Obligation {self.obligation_id} in snapshot {self.snapshot_id}"


class ActionState(ItemState):
    action_id = models.BigIntegerField()
    obligation_id = models.BigIntegerField()
    commitment_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField(null=True)  # the commitment's; null in snapshots before it was recorded
    party_id = models.BigIntegerField()
    owner_id = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "action_id"], name="actionstate_once_per_snapshot")]

    def __str__(self) -> str:
        return f"Action {self.action_id} in snapshot {self.snapshot_id}"


class TallyDay(models.Model):
    """A London day whose :class:`Tally` rows are written: counted with its snapshot, or
    reconstructed from the history for a day before the first one. A day without items has no
    tallies but is still recorded here, so the trends show it as zero rather than leave it out."""

    class Source(models.TextChoices):
        SNAPSHOT = "snapshot", "Counted with the day's snapshot"
        HISTORY = "history", "Reconstructed from the status history"

    day = models.DateField(unique=True)
    source = models.CharField(max_length=8, choices=Source.choices)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Tallies of {self.day:%-d %B %Y} ({self.get_source_display().lower()})"


class Tally(models.Model):
    """How many obligations or actions, of one agreement, had one RAG and were or were not overdue at
    the end of one London day: what the dashboards' trends read (:mod:`reporting.tallies`).

    Each day's tallies come in four grains, one per kind of dashboard: ``all`` (London; ``key`` is
    null), ``party`` (the party that owes the item), ``board`` (the commitment's lead board; null
    when it has none) and ``pilot`` (each pilot the commitment concerns: an item in two pilots is
    counted in both). They are written with the day's snapshot, in its transaction, or
    reconstructed from the status history for days before the first snapshot; they are a few
    thousand small rows a day and outlive the snapshot they were counted with (retention prunes
    snapshots, not tallies), so the trends reach back as far as the history does.
    """

    class Kind(models.TextChoices):
        OBLIGATION = "obligation", "Obligation"
        ACTION = "action", "Action"

    class Grain(models.TextChoices):
        ALL = "all", "All of London"
        PARTY = "party", "Party"
        BOARD = "board", "Lead board"
        PILOT = "pilot", "Pilot"

    day = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    grain = models.CharField(max_length=5, choices=Grain.choices)
    key = models.BigIntegerField(null=True, help_text="The party's, lead board's or pilot's id (null for all of London).")
    agreement_id = models.BigIntegerField()
    rag = models.CharField(max_length=5, choices=Rag.choices, blank=True)
    overdue = models.BooleanField()
    items = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["grain", "key", "day"], name="tally_by_scope_and_day")]

    def __str__(self) -> str:
        return f"{self.items} {self.kind}s on {self.day} ({self.grain} {self.key})"


class WindowCounts(models.Model):
    """The obligations' or actions' figures of one agreement as a snapshot recorded them, counted
    from its state rows for its day: total, open, overdue, escalated, with no owner, due within 30,
    60 and 90 days (and for obligations how many carry an assurance rating and how many disagree).
    Today's figures for all of London are these plus what changed since the snapshot
    (:mod:`reporting.dashboards.windows`, docs/decisions/0030)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="window_counts")
    kind = models.CharField(max_length=10, choices=Tally.Kind.choices)
    agreement_id = models.BigIntegerField()
    counts = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "kind", "agreement_id"], name="windowcounts_once_per_snapshot")]

    def __str__(self) -> str:
        return f"{self.kind} figures of agreement {self.agreement_id} in snapshot {self.snapshot_id}"


class ReportingPeriod(models.Model):
    """A stretch of a board's reporting cycle. Open while people work; closed (by London Councils'
    secretariat or an administrator) it freezes the snapshot of its closing day, and never opens
    again. Periods of one board do not overlap."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="reporting_periods")
    name = models.CharField(max_length=120, help_text='For example "Leaders\' Committee, March 2027".')
    starts_on = models.DateField()
    ends_on = models.DateField()
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    snapshot = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="periods")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["board__code", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lte=F("ends_on")), name="period_starts_before_it_ends"),
            models.CheckConstraint(
                condition=Q(state="open", snapshot__isnull=True, closed_at__isnull=True)
                | Q(state="closed", snapshot__isnull=False, closed_at__isnull=False),
                name="period_closed_means_frozen",
            ),
            models.UniqueConstraint(fields=["board", "name"], name="period_name_unique_per_board"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and ReportingPeriod.objects.filter(pk=self.pk, state=self.State.CLOSED).exists():
            raise FrozenError("A closed reporting period cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if ReportingPeriod.objects.filter(pk=self.pk, state=self.State.CLOSED).exists():
            raise FrozenError("A closed reporting period cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    def contains(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on
