"""Dependencies between commitments and actions (issue 15): who may add and remove them, the
refusals (an item waiting on itself, a duplicate, a cycle) and the history each change leaves.

The writes follow :mod:`commitments.services`: one function per use case, one transaction, the
permission first, its :class:`~commitments.services.NotAllowed` and
:class:`~commitments.services.InvalidUpdate` errors (translated at the edges: a 403, a 400 with
field messages, a form's error summary), a :class:`~commitments.models.StatusUpdate` on the
dependent item ("Now waiting on EST-03") and the change log, all or nothing.

Who may: the secretariat of the lead board of the *dependent* item's commitment (the board that
answers for the item that waits), and administrators. Officers and viewers may read dependencies,
not change them. Dependencies loaded from the sources are changed by correcting the data, not
here: a re-load would bring a removed one back (ADR 0025).

Cycles: the graph is small (the inventory gives a few dozen links; secretariats add a few more), so
a write reads every edge in one query and walks it in Python, the same on PostgreSQL and SQLite.
Concurrent writers are serialised by a transaction-scoped advisory lock on PostgreSQL (SQLite
serialises writers already), so two adds that would together close a cycle cannot both pass.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import changes as change_log
from .models import Action, Change, Commitment, Dependency, StatusUpdate
from .services import InvalidUpdate, NotAllowed

Item = Commitment | Action
Node = tuple[str, int]  # ("c", commitment id) or ("a", action id)
K = TypeVar("K", bound=Hashable)

# pg_advisory_xact_lock key: "DEPS" in ASCII, held for the writer's transaction.
_LOCK_KEY = 0x44455053


def node(item: Item) -> Node:
    return ("c", item.pk) if isinstance(item, Commitment) else ("a", item.pk)


def label(item: Item) -> str:
    """How messages name an item: a commitment by ref, an action by number."""
    return Dependency.label_of(item)


def commitment_id_of(item: Item) -> int:
    """The commitment whose lead board answers for ``item``."""
    if isinstance(item, Commitment):
        return item.pk
    return Action.objects.filter(pk=item.pk).values_list("obligation__commitment_id", flat=True).get()


def can_manage(user: Any, item: Item) -> bool:
    """Whether ``user`` may add or remove what ``item`` waits on: the secretariat of the lead board
    of its commitment, or an administrator."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Commitment.objects.writable_by(user).filter(pk=commitment_id_of(item)).exists()


def find_item(*, commitment: str | None = None, action: int | str | None = None) -> Item:
    """The item named by a commitment ref (any case) or an action id, for forms and the API.
    Raises :class:`InvalidUpdate` with a field message when neither or both are given, or the
    item does not exist."""
    ref = (commitment or "").strip()
    raw = str(action).strip() if action is not None else ""
    if bool(ref) == bool(raw):
        raise InvalidUpdate(
            "Choose what it waits on.",
            {"prerequisite": ["Enter a commitment reference (for example EST-03) or an action number, not both."]},
        )
    if ref:
        found = Commitment.objects.filter(ref__iexact=ref[:12]).first()
        if found is None:
            raise InvalidUpdate("Choose what it waits on.", {"prerequisite": [f"There is no commitment {ref[:12]!r}."]})
        return found
    if not raw.isdigit() or len(raw) > 12:
        raise InvalidUpdate("Choose what it waits on.", {"prerequisite": ["An action number is a whole number, for example 42."]})
    found_action = Action.objects.filter(pk=int(raw)).first()
    if found_action is None:
        raise InvalidUpdate("Choose what it waits on.", {"prerequisite": [f"There is no action {raw}."]})
    return found_action


# --- the graph ----------------------------------------------------------------------------------


def edges() -> dict[Node, list[Node]]:
    """Every dependency as dependent -> prerequisites: one query."""
    graph: dict[Node, list[Node]] = {}
    for c, a, pc, pa in Dependency.objects.order_by("id").values_list(
        "commitment_id", "action_id", "prerequisite_commitment_id", "prerequisite_action_id"
    ):
        graph.setdefault(("c", c) if c else ("a", a), []).append(("c", pc) if pc else ("a", pa))
    return graph


def path_between(graph: Mapping[K, list[K]], start: K, goal: K) -> list[K] | None:
    """The shortest chain of "waits on" from ``start`` to ``goal``, both included, or None."""
    came_from: dict[K, K | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            chain = [here]
            while (back := came_from[chain[-1]]) is not None:
                chain.append(back)
            return chain[::-1]
        for nxt in graph.get(here, ()):
            if nxt not in came_from:
                came_from[nxt] = here
                queue.append(nxt)
    return None


def labels(nodes: Iterable[Node]) -> dict[Node, str]:
    """Each node's label (refs in one query; actions by number)."""
    nodes = list(nodes)
    refs = dict(Commitment.objects.filter(pk__in=[pk for kind, pk in nodes if kind == "c"]).values_list("pk", "ref"))
    return {n: (refs.get(n[1], f"commitment {n[1]}") if n[0] == "c" else f"action {n[1]}") for n in nodes}


def cycle_message(chain: list[Node]) -> str:
    """``chain`` is dependent -> prerequisite -> … -> dependent."""
    names = labels(chain)
    steps = " → ".join(names[n] for n in chain)
    return (
        f"{names[chain[0]]} cannot wait on {names[chain[1]]}: that would make a cycle ({steps}), "
        f"and none of them could ever move first. Remove a link of the chain first if it is wrong."
    )


def cycle_with(dependent: Item, prerequisite: Item, graph: dict[Node, list[Node]] | None = None) -> list[Node] | None:
    """The cycle adding "``dependent`` waits on ``prerequisite``" would close, as the chain
    dependent -> prerequisite -> … -> dependent, or None."""
    back = path_between(edges() if graph is None else graph, node(prerequisite), node(dependent))
    return None if back is None else [node(dependent), *back]


def validate_graph(links: Iterable[tuple[K, K]]) -> list[list[K]]:
    """The cycles among ``links`` (dependent, prerequisite): for the loader's check of the data."""
    graph: dict[K, list[K]] = {}
    cycles: list[list[K]] = []
    for dependent, prerequisite in links:
        if dependent == prerequisite:
            cycles.append([dependent, dependent])
            continue
        back = path_between(graph, prerequisite, dependent)
        if back is not None:
            cycles.append([dependent, *back])
            continue
        graph.setdefault(dependent, []).append(prerequisite)
    return cycles


# --- reading, for the pages ---------------------------------------------------------------------


def troubles(item: Item, on: dt.date | None = None) -> list[str]:
    """Why ``item`` puts what waits on it at risk: overdue (the one rule, the model's
    ``is_overdue_on``), not pursued, rated red (a commitment's rating used, an action's RAG)."""
    found = []
    if item.is_overdue_on(on):
        found.append("overdue")
    if item.rule_status == "not_pursued":
        found.append("not pursued")
    rating = item.rating_used if isinstance(item, Commitment) else item.rag
    if rating == "red":
        found.append("rated red")
    return found


@dataclass
class Link:
    """One dependency as a page shows it from one side: the item at the other end and why that
    item is a risk (for a prerequisite)."""

    dependency: Dependency
    other: Item
    troubles: list[str]

    @property
    def label(self) -> str:
        return label(self.other)

    @property
    def title(self) -> str:
        return self.other.title if isinstance(self.other, Commitment) else self.other.description

    @property
    def commitment_ref(self) -> str:
        return self.other.ref if isinstance(self.other, Commitment) else self.other.obligation.commitment.ref

    @property
    def anchor(self) -> str:
        return "" if isinstance(self.other, Commitment) else f"#action-{self.other.pk}"


@dataclass
class Links:
    waiting_on: list[Link] = field(default_factory=list)
    holding_up: list[Link] = field(default_factory=list)


def for_commitment_page(commitment: Commitment, on: dt.date | None = None) -> dict[Node, Links]:
    """Every dependency of ``commitment`` and of its actions, both ways, by item (``node``): one
    query, whatever their number."""
    c = commitment.pk
    rows = (
        Dependency.objects.filter(
            Q(commitment_id=c)
            | Q(prerequisite_commitment_id=c)
            | Q(action__obligation__commitment_id=c)
            | Q(prerequisite_action__obligation__commitment_id=c)
        )
        .select_related(
            "commitment", "action__obligation__commitment", "prerequisite_commitment", "prerequisite_action__obligation__commitment"
        )
        .order_by("id")
    )
    out: dict[Node, Links] = {}
    for dep in rows:
        dependent, prerequisite = dep.dependent, dep.prerequisite
        out.setdefault(node(dependent), Links()).waiting_on.append(Link(dep, prerequisite, troubles(prerequisite, on)))
        out.setdefault(node(prerequisite), Links()).holding_up.append(Link(dep, dependent, []))
    return out


@dataclass
class AtRiskItem:
    """An open item waiting on a prerequisite at risk, with the prerequisites that make it so."""

    kind: str  # "Commitment" or "Action"
    label: str
    commitment_ref: str
    title: str
    waiting_on: list[Link]

    @property
    def waiting_on_text(self) -> str:
        """``EST-03 (overdue), action 12 (rated red)``: for papers and e-mails."""
        return "; ".join(f"{link.label} ({', '.join(link.troubles)})" for link in self.waiting_on)


def at_risk_items(commitments: Any, actions: Any, on: dt.date | None = None, *, limit: int | None = None) -> list[AtRiskItem]:
    """The commitments and actions of the querysets ``commitments`` and ``actions`` that are at
    risk (``with_at_risk``), by ref, each with the prerequisites that put it there: three queries."""
    found_c = list(commitments.at_risk(on=on).order_by("ref").values_list("pk", "ref", "title")[:limit])
    found_a = list(
        actions.at_risk(on=on)
        .order_by("obligation__commitment__ref", "due_date", "id")
        .values_list("pk", "obligation__commitment__ref", "description")[:limit]
    )
    rows = (
        Dependency.objects.filter(Q(commitment_id__in=[c[0] for c in found_c]) | Q(action_id__in=[a[0] for a in found_a]))
        .select_related("prerequisite_commitment", "prerequisite_action__obligation__commitment")
        .order_by("id")
    )
    waiting: dict[Node, list[Link]] = {}
    for dep in rows:
        prerequisite = dep.prerequisite
        trouble = troubles(prerequisite, on)
        if trouble:
            key = ("c", dep.commitment_id) if dep.commitment_id else ("a", dep.action_id or 0)
            waiting.setdefault(key, []).append(Link(dep, prerequisite, trouble))
    return [
        *(AtRiskItem("Commitment", ref, ref, title, waiting.get(("c", pk), [])) for pk, ref, title in found_c),
        *(AtRiskItem("Action", f"Action {pk}", ref, text, waiting.get(("a", pk), [])) for pk, ref, text in found_a),
    ]


def waiting_on_texts(nodes: Iterable[Node], on: dt.date | None = None) -> dict[Node, str]:
    """What each item of ``nodes`` waits on, in words for an e-mail (``EST-03 Establish the
    London Estates Board (overdue)``), for the items that wait on something: one query."""
    nodes = set(nodes)
    c_ids, a_ids = [pk for kind, pk in nodes if kind == "c"], [pk for kind, pk in nodes if kind == "a"]
    if not nodes:
        return {}
    rows = (
        Dependency.objects.filter(Q(commitment_id__in=c_ids) | Q(action_id__in=a_ids))
        .select_related("prerequisite_commitment", "prerequisite_action__obligation__commitment")
        .order_by("id")
    )
    parts: dict[Node, list[str]] = {}
    for dep in rows:
        prerequisite = dep.prerequisite
        trouble = troubles(prerequisite, on)
        title = prerequisite.title if isinstance(prerequisite, Commitment) else prerequisite.description
        name = (
            label(prerequisite)
            if isinstance(prerequisite, Commitment)
            else f"action {prerequisite.pk} under {prerequisite.obligation.commitment.ref}"
        )
        text = f"{name} {title[:80]}" + (f" ({', '.join(trouble)})" if trouble else "")
        parts.setdefault(("c", dep.commitment_id) if dep.commitment_id else ("a", dep.action_id or 0), []).append(text)
    return {key: "; ".join(texts) for key, texts in parts.items()}


# --- writes -------------------------------------------------------------------------------------


def _serialise_writers() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _where(dependent: Item, prefix: str = "") -> dict[str, Any]:
    return {f"{prefix}commitment": dependent} if isinstance(dependent, Commitment) else {f"{prefix}action": dependent}


def _history(item: Item, *, by: Any, note: str, source: str, now: dt.datetime) -> StatusUpdate:
    """A history row on ``item`` that changes no state: only the note says what happened."""
    author = by if getattr(by, "is_authenticated", False) else None
    if isinstance(item, Commitment):
        update = StatusUpdate(target_type=StatusUpdate.TargetType.COMMITMENT, commitment=item)
    else:
        obligation = item.obligation
        update = StatusUpdate(
            target_type=StatusUpdate.TargetType.ACTION,
            action=item,
            obligation=obligation,
            commitment_id=obligation.commitment_id,
            party_id=obligation.party_id,
        )
    update.author, update.source, update.created_at, update.note, update.version = author, source, now, note, item.version
    # The state columns repeat the item's state (before = after), so replays of the history (the
    # trends' backfill, comparisons) read the row as changing nothing, not as the item's creation.
    due = item.target_date if isinstance(item, Commitment) else item.due_date
    update.from_status = update.to_status = item.status
    update.from_rag = update.to_rag = item.rag
    update.from_progress = update.to_progress = item.progress
    update.from_due_date = update.to_due_date = due
    update.save()
    change_log.record(update, Change.Op.CREATE)
    return update


def _touch(items: Iterable[Item], now: dt.datetime) -> None:
    """What partners read of both items changed (``waiting_on``/``holding_up``): move their
    ``updated_at`` and log an update, as a changed roll-up does (the version is the item's state's)."""
    for item in items:
        model = type(item)
        model.objects.filter(pk=item.pk).update(updated_at=now)
        change_log.record_bulk(model, [item.pk])


def add_dependency(
    dependent: Item,
    prerequisite: Item,
    *,
    by: Any,
    source: str = StatusUpdate.Source.WEB,
    now: dt.datetime | None = None,
) -> Dependency:
    """Record that ``dependent`` waits on ``prerequisite``. Refuses (nothing written) a user who
    may not (:class:`NotAllowed`), an item waiting on itself, a duplicate and a cycle
    (:class:`InvalidUpdate`, field ``prerequisite``, the cycle's chain named)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not can_manage(by, dependent):
            raise NotAllowed("Only the secretariat of the lead board of this item's commitment can change what it waits on.")
        if node(dependent) == node(prerequisite):
            raise InvalidUpdate("Check what it waits on.", {"prerequisite": [f"{label(dependent)} cannot wait on itself."]})
        _serialise_writers()
        if Dependency.objects.filter(**_where(dependent), **_where(prerequisite, "prerequisite_")).exists():
            raise InvalidUpdate(
                "Check what it waits on.", {"prerequisite": [f"{label(dependent)} already waits on {label(prerequisite)}."]}
            )
        chain = cycle_with(dependent, prerequisite)
        if chain is not None:
            raise InvalidUpdate("This dependency would make a cycle.", {"prerequisite": [cycle_message(chain)]})
        dependency = Dependency.objects.create(
            **_where(dependent),
            **_where(prerequisite, "prerequisite_"),
            basis=Dependency.Basis.SECRETARIAT,
            created_by=by if getattr(by, "is_authenticated", False) else None,
            created_at=now,
        )
        change_log.record(dependency, Change.Op.CREATE)
        _history(dependent, by=by, note=f"Now waiting on {_described(prerequisite)}.", source=source, now=now)
        _touch((dependent, prerequisite), now)
        return dependency


def remove_dependency(dependency: Dependency, *, by: Any, source: str = StatusUpdate.Source.WEB, now: dt.datetime | None = None) -> None:
    """Remove a dependency a secretariat added. One the sources give is refused: it is corrected
    in the data, or the next load would bring it back."""
    now = now or timezone.now()
    with transaction.atomic():
        _serialise_writers()
        found = (
            Dependency.objects.select_for_update(of=("self",))
            .select_related("commitment", "action", "prerequisite_commitment", "prerequisite_action")
            .filter(pk=dependency.pk)
            .first()
        )
        if found is None:
            raise InvalidUpdate("This dependency has already been removed.", {"dependency": ["It no longer exists."]})
        dependent, prerequisite = found.dependent, found.prerequisite
        if not can_manage(by, dependent):
            raise NotAllowed("Only the secretariat of the lead board of this item's commitment can change what it waits on.")
        if found.basis == Dependency.Basis.SOURCES:
            raise InvalidUpdate(
                "This dependency comes from the sources.",
                {
                    "dependency": [
                        f"{label(dependent)} waits on {label(prerequisite)} because the sources say so "
                        f"({found.source_key}, {found.source_field}); it is corrected in the data, not removed here."
                    ]
                },
            )
        change_log.record(found, Change.Op.DELETE)
        found.delete()
        _history(dependent, by=by, note=f"No longer waiting on {_described(prerequisite)}.", source=source, now=now)
        _touch((dependent, prerequisite), now)


def _described(item: Item) -> str:
    if isinstance(item, Commitment):
        return f"{item.ref} ({item.title})"
    return f"action {item.pk} ({item.description[:80]})"


__all__ = [
    "InvalidUpdate",
    "NotAllowed",
    "add_dependency",
    "can_manage",
    "cycle_message",
    "cycle_with",
    "edges",
    "find_item",
    "remove_dependency",
    "validate_graph",
]
