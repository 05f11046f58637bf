"""The change log behind the sync feed (``GET /api/v1/changes/``).

Every create, update and delete of a resource partners can read writes a :class:`Change` row in
the same transaction as the change itself, explicitly, by the code that writes it: :func:`record`
for one object (the services, the admin, the loaders), :func:`record_bulk` for a set of ids, and
:func:`record_select` for set-based writers that select the changed rows in SQL (the overdue
pass). No model signal writes the log (issue 12): a write path that forgets to record is a test
failure, not a silent second writer. Deletes leave the row as a tombstone.

Why (txid, id) and not just id: ids are handed out when a row is inserted, but become visible when
its transaction commits, so a reader that has seen id 11 can later find id 10 appear. PostgreSQL
stamps each row with the writing transaction's id (column default ``pg_current_xact_id()``, set by
migration 0002) and the feed only serves rows written by transactions older than the oldest one
still running (``pg_snapshot_xmin``). Those rows are final; any row committed later has a larger
txid than everything served, so a partner following the cursor neither misses nor repeats a
change. On SQLite writers are serialised (IMMEDIATE transactions), so ids already follow commit
order and txid stays 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection, models, router, transaction
from django.db.models.deletion import Collector
from django.db.models.expressions import RawSQL
from django.utils import timezone

from boards.models import Board, Meeting, Party
from pilots.models import Borough, Pilot

from .models import Action, Agreement, Change, Commitment, Dependency, Obligation, Report, StatusUpdate, Theme

# resource name in the API -> (model, function giving the key used in API URLs)
RESOURCES: dict[type[models.Model], tuple[str, Callable[[Any], str]]] = {
    Commitment: ("commitments", lambda o: o.ref),
    Obligation: ("obligations", lambda o: str(o.pk)),
    Action: ("actions", lambda o: str(o.pk)),
    StatusUpdate: ("status-updates", lambda o: str(o.pk)),
    Agreement: ("agreements", lambda o: o.slug),
    Theme: ("themes", lambda o: o.slug),
    Party: ("parties", lambda o: o.slug),
    Board: ("boards", lambda o: o.code),
    Pilot: ("pilots", lambda o: o.slug),
    Borough: ("boroughs", lambda o: o.slug),
    Meeting: ("meetings", lambda o: str(o.pk)),
    Report: ("reports", lambda o: str(o.pk)),
    Dependency: ("dependencies", lambda o: str(o.pk)),
}


def register(model: type[models.Model], resource: str, key: Callable[[Any], str]) -> None:
    """Make ``model`` a resource of the change log, under the API collection ``resource``: for an
    app above this one (reporting), which this module may not import, at its ``ready()``."""
    RESOURCES[model] = (resource, key)


def record(instance: models.Model, op: str = Change.Op.UPDATE, *, event: str = Change.Event.NONE) -> Change | None:
    """Record that ``instance`` was created, updated or deleted (``op``), in the caller's
    transaction, when it is a resource partners read (``RESOURCES``); other models record nothing
    (so generic writers, the loader's upsert and the admin, can call it for any model). For a
    delete, call it while the instance still has its key. ``event`` says why, when the change
    means more than an update (a paper published, a period closed)."""
    if type(instance) not in RESOURCES:
        return None
    resource, key = RESOURCES[type(instance)]
    change = Change.objects.create(
        resource=resource, key=key(instance), object_id=instance.pk, op=op, version=getattr(instance, "version", None), event=event
    )
    _announce()
    return change


def record_delete(objs: Iterable[models.Model]) -> int:
    """Record the deletion of ``objs`` and of everything their deletion cascades to (found as
    Django's own delete finds it), before the caller deletes them. Returns the rows recorded."""
    objs = list(objs)
    if not objs:
        return 0
    collector = Collector(using=router.db_for_write(type(objs[0])), origin=None)
    collector.collect(objs)
    recorded = 0
    for model, instances in collector.data.items():
        if model in RESOURCES:
            recorded += record_bulk(model, [o.pk for o in instances], op=Change.Op.DELETE)
    for qs in collector.fast_deletes:
        if qs.model in RESOURCES:
            recorded += record_bulk(qs.model, qs.values_list("pk", flat=True), op=Change.Op.DELETE)
    return recorded


def record_select(
    resource: str,
    select_sql: str,
    params: Mapping[str, Any],
    *,
    op: str = Change.Op.UPDATE,
    at: dt.datetime | None = None,
    event: str = Change.Event.NONE,
) -> int:
    """Record changes of rows a set-based writer selects in SQL, with one ``INSERT … SELECT``.

    ``select_sql`` yields (key, object_id, version) per changed row; ``params`` are its named
    parameters; ``event`` says why, for every row (an item first flagged overdue, an escalation
    step). Holds no rows in memory; returns the number of rows recorded."""
    table = Change._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (resource, op, at, event, key, object_id, version) "
            f"SELECT %(_resource)s, %(_op)s, %(_at)s, %(_event)s, x.* FROM ({select_sql}) x",
            {
                **params,
                "_resource": resource,
                "_op": op,
                "_event": event,
                "_at": connection.ops.adapt_datetimefield_value(at or timezone.now()),
            },
        )
        recorded = max(cursor.rowcount, 0)
    if recorded:
        _announce()
    return recorded


def record_bulk(model: type[models.Model], ids: Iterable[int], op: str = Change.Op.UPDATE) -> int:
    """Record changes of the rows ``ids`` of ``model`` (a ``QuerySet.update()``, ``bulk_create``,
    or, called before it, a ``delete()``): one read, one INSERT for all."""
    resource, key = RESOURCES[model]
    objs = list(model._default_manager.filter(pk__in=list(ids)))
    Change.objects.bulk_create(
        [Change(resource=resource, key=key(o), object_id=o.pk, op=op, version=getattr(o, "version", None)) for o in objs],
        batch_size=1000,
    )
    if objs:
        _announce()
    return len(objs)


# Called once after each commit that recorded changes: the webhooks app follows the log from there
# (registered at its ready(); this module may not import it).
_listeners: list[Callable[[], None]] = []


def on_recorded(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every commit that recorded changes (once per transaction), outside
    it. A listener only nudges a follower of the log: the log itself is the record, so a listener
    that fails (a broker down) loses nothing, and its exceptions are the listener's to handle."""
    if listener not in _listeners:
        _listeners.append(listener)


def _after_commit() -> None:
    for listener in _listeners:
        listener()


def _announce() -> None:
    """Arrange for the listeners to run once this transaction commits (once, however many changes
    it records: the callback is registered only if it is not already waiting)."""
    if not _listeners:
        return
    pending: list[Any] = connection.run_on_commit if connection.in_atomic_block else []
    if not any(entry[1] is _after_commit for entry in pending):
        transaction.on_commit(_after_commit)


def visible_horizon() -> int | None:
    """The txid below which every transaction has finished (PostgreSQL), or None (SQLite: all)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return int(cursor.fetchone()[0])


def changes_after(txid: int, change_id: int, limit: int, resources: Iterable[str] | None = None) -> list[Change]:
    """Up to ``limit`` changes after the cursor (txid, id), in feed order, final ones only;
    ``resources`` (API collection names) narrows the feed without changing its order."""
    # A row-value comparison, not "txid > t OR (txid = t AND id > i)": the index on (txid, id)
    # then starts right at the cursor. With the OR, a cursor inside one big transaction (a bulk
    # load, the first overdue pass: 200,000 rows with one txid) skipped every earlier row of it
    # on each page, 24 ms a page instead of 0.2 ms (issue 7). SQLite has row values since 3.15.
    after = RawSQL('("txid", "id") > (%s, %s)', (txid, change_id), output_field=models.BooleanField())
    qs = Change.objects.filter(after)
    if resources is not None:
        qs = qs.filter(resource__in=list(resources))
    horizon = visible_horizon()
    if horizon is not None:
        qs = qs.filter(txid__lt=horizon)
    return list(qs.order_by("txid", "id")[:limit])


MAX_CHANGE_ID = 2**63 - 1


def feed_head() -> tuple[int, int]:
    """The cursor (txid, id) just past every change that is final now (added for the API's
    ``/changes/head/``, issue 4). A partner that takes it *before* a full pull and then follows
    the feed from it misses nothing: every change after it belongs to a transaction that had not
    finished when it was taken."""
    horizon = visible_horizon()
    if horizon is not None:
        return horizon - 1, MAX_CHANGE_ID
    last = Change.objects.order_by("-id").values_list("id", flat=True).first()
    return 0, last or 0


# --- a point in the log, and what was recorded after it ------------------------------------------
#
# A *mark* says which changes a reader has seen: on PostgreSQL the reading statement's snapshot
# (``pg_current_snapshot()``, the transactions it saw as committed), the reader's own transaction id
# and the highest change id; on SQLite (writers serialised) the highest change id. A change was
# recorded after the mark when its transaction was not visible to that snapshot (it committed
# later, or was still running), or it is the marking transaction's own and came after the mark.
# Reporting takes one when it writes the day's snapshot, so today's figures can be the snapshot's
# plus what changed since (reporting.dashboards.windows). Naming an object that did not change
# since costs a little and is harmless there (its delta is nought); missing one is not.


def log_mark() -> str:
    """The change log as this transaction sees it now (see above); opaque, stored as text."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT pg_current_snapshot()::text, COALESCE(pg_current_xact_id_if_assigned()::text, ''), "
                f"COALESCE(MAX(id), 0) FROM {Change._meta.db_table}"
            )
            snapshot, own, last = cursor.fetchone()
            return f"pg|{snapshot}|{own}|{last}"
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Change._meta.db_table}")
        return f"id|{cursor.fetchone()[0]}"


def recorded_after(mark: str) -> models.Q:
    """The change-log rows recorded after ``mark`` (a :func:`log_mark`), as a condition that the
    (txid, id) index answers: only rows of transactions from the snapshot's oldest running one on."""
    parts = mark.split("|")
    if parts[0] == "pg":
        snapshot, own, last = parts[1], parts[2], int(parts[3])
        xmin = int(snapshot.split(":")[0])
        unseen = RawSQL("NOT pg_visible_in_snapshot(txid::text::xid8, %s::pg_snapshot)", (snapshot,), output_field=models.BooleanField())
        condition = models.Q(txid__gte=xmin) & models.Q(unseen)
        if own:
            condition |= models.Q(txid=int(own), id__gt=last)
        return condition
    return models.Q(id__gt=int(parts[1]))


def changed_since(mark: str, resources: Iterable[str], limit: int) -> dict[str, set[int]] | None:
    """The ids of the objects of ``resources`` (API collection names) with a change recorded after
    ``mark``, by resource, in one query; None when there are more than ``limit`` (a caller then
    reads the tables whole rather than carry a long list of ids)."""
    rows = list(
        Change.objects.filter(recorded_after(mark), resource__in=list(resources))
        .values_list("resource", "object_id")
        .distinct()
        .order_by()[: limit + 1]
    )
    if len(rows) > limit:
        return None
    found: dict[str, set[int]] = {name: set() for name in resources}
    for resource, object_id in rows:
        found[resource].add(object_id)
    return found
