"""Read paths: named, composable queryset methods that fetch what a page or endpoint shows, joins
included, in a fixed number of queries whatever the number of rows.

"Overdue" is derived from dates, never stored (DESIGN.md §10), by the rule in
:mod:`commitments.lifecycle` (due before today in Europe/London and still open); the methods here
only apply it. Every method takes ``on`` (a London date) so tests and reports can fix "today".
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import Case, F, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from .lifecycle import open_q, overdue_case, overdue_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _party_ids_for(user: Any) -> list[int]:
    """Parties the user is an officer of (cached on the user object for the request)."""
    cached = getattr(user, "_officer_party_ids", None)
    if cached is None:
        from boards.models import Membership

        cached = list(Membership.objects.filter(user=user, role="officer").values_list("party_id", flat=True))
        user._officer_party_ids = cached
    return cached


def _board_ids_for(user: Any) -> list[int]:
    cached = getattr(user, "_secretariat_board_ids", None)
    if cached is None:
        from boards.models import Membership

        cached = list(Membership.objects.filter(user=user, role="secretariat").values_list("board_id", flat=True))
        user._secretariat_board_ids = cached
    return cached


# An assignment's before and after (issue 16), read by ``StatusUpdate.changes()`` and the API: joined
# with the history rows that show them, so an assignment costs no query of its own.
ASSIGNMENT_RELATED = ("from_owner", "to_owner", "from_lead_board", "to_lead_board")


def own_fields(model: type[models.Model]) -> list[str]:
    """Every concrete field of ``model`` by name: with the related fields an ``only()`` names, it
    loads all of the model's own columns and just those of the joined rows (issue 7: a page of 500
    actions built ~2,000 model instances, and the width of the joined rows was most of the cost)."""
    return [f.name for f in model._meta.concrete_fields]


# The joined columns the API's representations read (commitments.api.serializers): a party and a
# board by key and name, a user by username and name, a commitment by ref and title.
USER_BRIEF = ("username", "first_name", "last_name")


def _brief(path: str, *names: str) -> list[str]:
    return [f"{path}__{name}" for name in names]


# --- the two ratings (issue 15) -----------------------------------------------------------------
#
# The one SQL form of the rule every roll-up, count and report follows: the rating used is the
# assurance rating where one is given, else the owner's own (an obligation's ``rag``, a
# commitment's shown RAG, ``shown_rag_db``). ``Assured.rating_used`` is the same rule in Python.


def rating_used_expr(own: str = "rag", prefix: str = "") -> Coalesce:
    """The rating used, as an expression: ``COALESCE(NULLIF(assurance_rag, ''), <own rating>)``;
    ``prefix`` reaches the item through a relation (``"obligation__"``)."""
    return Coalesce(NullIf(F(f"{prefix}assurance_rag"), Value("")), F(f"{prefix}{own}"))


def ratings_disagree_q(own: str = "rag", prefix: str = "") -> Q:
    """An assurance rating is given and differs from the owner's own."""
    return ~Q(**{f"{prefix}assurance_rag": ""}) & ~Q(**{f"{prefix}assurance_rag": F(f"{prefix}{own}")})


# --- dependencies: at risk (issue 15) -----------------------------------------------------------
#
# An open item is *at risk* when something it waits on (a Dependency's prerequisite) is overdue (the
# one rule, through the querysets' ``with_overdue``), not pursued, or rated red (a commitment's
# rating used, ``rating_used_expr``; an action's RAG). Only direct prerequisites count. Computed in
# SQL as an EXISTS over the item's few dependencies, each prerequisite looked up by its key, so a
# list annotated with it costs no extra query.


def prerequisite_in_trouble_q(on: dt.date | None = None) -> Q:
    """On a Dependency row: its prerequisite is overdue, not pursued or rated red."""
    from .lifecycle import Status
    from .models import Action, Commitment

    commitments = (
        Commitment.objects.filter(pk=models.OuterRef("prerequisite_commitment_id"))
        .with_overdue(on)
        .annotate(at_risk_rating=rating_used_expr("shown_rag_db"))
        .filter(Q(is_overdue=True) | Q(shown_status_db=Status.NOT_PURSUED) | Q(at_risk_rating="red"))
    )
    actions = (
        Action.objects.filter(pk=models.OuterRef("prerequisite_action_id"))
        .with_overdue(on)
        .filter(Q(is_overdue=True) | Q(status=Status.NOT_PURSUED) | Q(rag="red"))
    )
    return Q(models.Exists(commitments.values("pk"))) | Q(models.Exists(actions.values("pk")))


def dependency_prefetches() -> list[models.Prefetch[Any]]:
    """``waiting_on_links`` and ``holding_up_links`` with the other end's key: two queries for a
    page of commitments or actions (the API's ``waiting_on`` / ``holding_up``)."""
    from .models import Dependency

    return [
        models.Prefetch(
            "waiting_on_links",
            queryset=Dependency.objects.select_related("prerequisite_commitment")
            .only("commitment", "action", "prerequisite_action", "prerequisite_commitment__ref")
            .order_by("id"),
        ),
        models.Prefetch(
            "holding_up_links",
            queryset=Dependency.objects.select_related("commitment")
            .only("prerequisite_commitment", "prerequisite_action", "action", "commitment__ref")
            .order_by("id"),
        ),
    ]


def at_risk_q(dependent: str, on: dt.date | None = None, *, status_field: str = "status") -> Q:
    """The *at risk* rule as a condition on commitments (``dependent="commitment"``, with their
    shown status) or actions (``dependent="action"``): open, and among the items whose dependencies
    have a prerequisite in trouble. The dependencies are one uncorrelated subquery (PostgreSQL reads
    them once), so counting the items at risk among 1,000,000 actions follows the few dependencies
    instead of testing each action (3.4 s -> milliseconds at the large scale)."""
    from .lifecycle import london_today

    sql, params = _waiting_sql(dependent, on or london_today(), connection.vendor)
    return Q(pk__in=RawSQL(sql, params)) & open_q(status_field=status_field)


@functools.lru_cache(maxsize=8)
def _waiting_sql(dependent: str, on: dt.date, vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The SQL of "the ``dependent`` ids of dependencies whose prerequisite is in trouble on ``on``",
    compiled once per day (and database) rather than per query: the ORM took ~8 ms to compile it
    (the prerequisites' shown state, overdue rule and rating used), a sixth of an API list page's
    time. It is self-contained (no outer reference), so the same text serves every query."""
    from .models import Dependency

    # No ORDER BY (as Django writes an ``__in`` subquery): with one, PostgreSQL cannot flatten the
    # subquery into a semi-join, and may scan it again, with its prerequisites, for every row.
    waiting = (
        Dependency.objects.filter(**{f"{dependent}__isnull": False}).filter(prerequisite_in_trouble_q(on)).order_by().values(dependent)
    )
    sql, params = waiting.query.sql_with_params()
    return sql, tuple(params)


def at_risk_case(dependent: str, on: dt.date | None = None, *, status_field: str = "status") -> Case:
    """:func:`at_risk_q` as a boolean annotation (``at_risk``)."""
    return Case(
        When(at_risk_q(dependent, on, status_field=status_field), then=Value(True)),
        default=Value(False),
        output_field=models.BooleanField(),
    )


class TrackedQuerySet(models.QuerySet[Any]):
    """Shared by obligations and actions: both have ``due_date`` and ``status``."""

    def with_overdue(self, on: dt.date | None = None) -> TrackedQuerySet:
        return self.annotate(is_overdue=overdue_case(on))

    def overdue(self, on: dt.date | None = None) -> TrackedQuerySet:
        return self.filter(overdue_q(on))

    def not_overdue(self, on: dt.date | None = None) -> TrackedQuerySet:
        return self.exclude(overdue_q(on))

    def open(self) -> TrackedQuerySet:
        return self.filter(open_q())

    def due_within(self, days: int, on: dt.date | None = None) -> TrackedQuerySet:
        today = _today(on)
        return self.open().filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=days))


class CommitmentQuerySet(models.QuerySet[Any]):
    def with_shown_state(self) -> CommitmentQuerySet:
        """Annotate what a commitment shows: the assessed state if recorded, else the roll-up."""
        assessed = Q(assessed_at__isnull=False)
        return self.annotate(
            shown_status_db=Case(When(assessed, then=F("status")), default=F("rollup_status")),
            shown_rag_db=Case(When(assessed, then=F("rag")), default=F("rollup_rag")),
            shown_progress_db=Case(When(assessed, then=F("progress")), default=F("rollup_progress")),
        ).annotate(rating_used_db=rating_used_expr("shown_rag_db"))

    def ratings_disagree(self, value: bool = True) -> CommitmentQuerySet:
        """Commitments whose assurance rating differs from their shown RAG (or, ``False``, not)."""
        qs = self if "shown_rag_db" in self.query.annotations else self.with_shown_state()
        condition = ratings_disagree_q("shown_rag_db")
        return qs.filter(condition) if value else qs.exclude(condition)

    def with_overdue(self, on: dt.date | None = None) -> CommitmentQuerySet:
        qs = self if "shown_status_db" in self.query.annotations else self.with_shown_state()
        return qs.annotate(is_overdue=overdue_case(on, date_field="target_date", status_field="shown_status_db"))

    def overdue(self, on: dt.date | None = None) -> CommitmentQuerySet:
        return self.with_overdue(on).filter(is_overdue=True)

    def not_overdue(self, on: dt.date | None = None) -> CommitmentQuerySet:
        return self.with_overdue(on).filter(is_overdue=False)

    def with_at_risk(self, on: dt.date | None = None) -> CommitmentQuerySet:
        """Annotate ``at_risk``: open, and waiting on something overdue, not pursued or rated red."""
        qs = self if "shown_status_db" in self.query.annotations else self.with_shown_state()
        return qs.annotate(at_risk=at_risk_case("commitment", on, status_field="shown_status_db"))

    def at_risk(self, value: bool = True, on: dt.date | None = None) -> CommitmentQuerySet:
        qs = self if "shown_status_db" in self.query.annotations else self.with_shown_state()
        condition = at_risk_q("commitment", on, status_field="shown_status_db")
        return qs.filter(condition) if value else qs.exclude(condition)

    def for_list(self, on: dt.date | None = None) -> CommitmentQuerySet:
        """A page of commitments with theme, lead board and agreement joined: one query."""
        return self.select_related("theme", "lead_board", "agreement", "parent").with_overdue(on).with_at_risk(on)

    def for_detail(self, on: dt.date | None = None) -> CommitmentQuerySet:
        """One commitment with everything its page shows, in a fixed number of queries."""
        from .models import Action, Obligation, StatusUpdate

        return (
            self.for_list(on)
            .select_related("assurance_by")
            .prefetch_related(
                "citations",
                "co_lead_boards",
                "other_parties",
                "recipients",
                "pilot_links__pilot",
                "children",
                "clauses",
                "links_out__target",
                "links_in__source",
                models.Prefetch(
                    "obligations",
                    queryset=Obligation.objects.select_related("party", "owner", "assurance_by").with_overdue(on).order_by("party__name"),
                ),
                models.Prefetch(
                    "obligations__actions",
                    queryset=Action.objects.with_at_risk(on).select_related("owner").with_overdue(on).order_by("due_date", "id"),
                ),
                models.Prefetch(
                    "updates",
                    queryset=StatusUpdate.objects.select_related("author", "approved_by", "party", "obligation__party", "action")
                    .select_related(*ASSIGNMENT_RELATED)
                    .order_by("-created_at", "-id"),
                ),
            )
        )

    def for_api(self, on: dt.date | None = None) -> CommitmentQuerySet:
        """A page of the API's commitments (``/api/v1/commitments/``): shown state, overdue, the
        joined references, co-lead boards, pilots and each obligation with its party and owner.
        1 query for the rows + 3 prefetches, whatever the page size."""
        from boards.models import Board

        from .models import Commitment, CommitmentPilot, Obligation

        return (
            self.select_related("theme", "lead_board", "agreement", "parent", "assessed_by", "assurance_by")
            .only(
                *own_fields(Commitment),
                *_brief("theme", "slug", "name"),
                *_brief("lead_board", "code", "name"),
                *_brief("agreement", "slug", "short_name"),
                *_brief("parent", "ref", "title"),
                *_brief("assessed_by", *USER_BRIEF),
                *_brief("assurance_by", *USER_BRIEF),
            )
            .with_overdue(on)
            .with_at_risk(on)
            .prefetch_related(
                *dependency_prefetches(),
                models.Prefetch("co_lead_boards", queryset=Board.objects.only("code", "name", "is_mou_board")),
                models.Prefetch(
                    "pilot_links",
                    queryset=CommitmentPilot.objects.select_related("pilot")
                    .only("commitment", "basis", "pilot__slug", "pilot__name")
                    .order_by("pilot__name"),
                ),
                models.Prefetch(
                    "obligations",
                    queryset=Obligation.objects.select_related("party", "owner")
                    .only(*own_fields(Obligation), *_brief("party", "slug", "name"), *_brief("owner", *USER_BRIEF))
                    .with_overdue(on)
                    .order_by("party__name", "id"),
                ),
            )
        )

    def for_api_detail(self, on: dt.date | None = None) -> CommitmentQuerySet:
        """One commitment for the API: :meth:`for_api` plus citations, sub-items and links."""
        from .models import CommitmentLink

        return self.for_api(on).prefetch_related(
            "citations",
            "children",
            models.Prefetch("links_out", queryset=CommitmentLink.objects.select_related("target").order_by("target__ref")),
        )

    def page(self, bottom: int, top: int) -> list[Any]:
        """Rows ``bottom``..``top`` of this filtered, ordered queryset (a page of the API's list),
        in two narrow steps: the page's ids (:meth:`page_ids`), then those rows with their joins
        and prefetches. The result is exactly ``list(self[bottom:top])``."""
        ids = self.page_ids(bottom, top)
        rows = {obj.pk: obj for obj in self.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]

    def page_ids(self, bottom: int, top: int) -> list[int]:
        """The ids of rows ``bottom``..``top`` of this filtered, ordered queryset.

        The default order (theme, then ref) follows a column of another table, so no index gives
        it, and PostgreSQL would sort every matching commitment, joins and all, for each page
        (~200 ms at 100,000 commitments). Instead each theme's first ``top`` matching commitments
        come from the (theme, ref) index and only those few ids are sorted. The filtered query is
        compiled once, by the ORM, for a theme named by the statement around it: on PostgreSQL a
        ``LATERAL`` join over the themes, on SQLite (which has no ``LATERAL``) a ``UNION ALL`` of
        that query per theme. Other orders fetch their ids with one narrow query (issue 7; raw
        SQL here by decision 0019's note on page ids).
        """
        from django.db import connections
        from django.db.models.expressions import RawSQL

        from .models import Theme

        if top <= bottom:
            return []
        if tuple(self.query.order_by) != ("theme__order", "ref", "pk") or self.query.distinct_fields:
            return list(self.values_list("pk", flat=True)[bottom:top])
        connection = connections[self.db]
        lateral = connection.vendor == "postgresql"
        themes = connection.ops.quote_name(Theme._meta.db_table)
        marker = object()  # the theme's id, bound per branch where there is no LATERAL
        theme = RawSQL('"page_theme"."id"', ()) if lateral else RawSQL("%s", (marker,))
        inner = self.filter(theme_id=theme).order_by("ref", "pk").annotate(page_id=F("pk"), page_ref=F("ref"))
        sql, params = inner.values_list("page_id", "page_ref")[:top].query.sql_with_params()
        with connection.cursor() as cursor:
            if lateral:
                cursor.execute(
                    f'SELECT x.page_id FROM {themes} "page_theme" CROSS JOIN LATERAL ({sql}) x '
                    f'ORDER BY "page_theme"."order", x.page_ref, x.page_id LIMIT %s OFFSET %s',
                    (*params, top - bottom, bottom),
                )
                return [row[0] for row in cursor.fetchall()]
            orders = list(Theme.objects.using(self.db).order_by().values_list("pk", "order"))
            if not orders:
                return []
            branch = f"SELECT %s AS page_order, x.page_ref, x.page_id FROM ({sql}) x"
            statement = " UNION ALL ".join([branch] * len(orders)) + " ORDER BY 1, 2, 3 LIMIT %s OFFSET %s"
            values: list[Any] = []
            for theme_id, order in orders:
                values += [order, *(theme_id if p is marker else p for p in params)]
            cursor.execute(statement, (*values, top - bottom, bottom))
            return [row[2] for row in cursor.fetchall()]

    def led_by(self, board: Any) -> CommitmentQuerySet:
        return self.filter(Q(lead_board=board) | Q(co_lead_boards=board)).distinct()

    def writable_by(self, user: Any) -> CommitmentQuerySet:
        """Commitments whose assessed state the user may record: those their board leads."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(lead_board_id__in=_board_ids_for(user))


class ObligationQuerySet(TrackedQuerySet):
    def with_rating(self) -> ObligationQuerySet:
        """Annotate the rating used (``rating_used_db``): the assurance rating, else the owner's."""
        return self.annotate(rating_used_db=rating_used_expr())

    def ratings_disagree(self, value: bool = True) -> ObligationQuerySet:
        """Obligations whose assurance rating differs from the owner's (or, ``False``, not)."""
        return self.filter(ratings_disagree_q()) if value else self.exclude(ratings_disagree_q())

    def for_list(self, on: dt.date | None = None) -> ObligationQuerySet:
        return self.select_related("commitment", "commitment__theme", "party", "owner").with_overdue(on)  # type: ignore[return-value]

    def writable_by(self, user: AbstractBaseUser | AnonymousUser) -> ObligationQuerySet:
        """Obligations the user may update: their parties' (officer), or those under commitments
        their board leads (secretariat); administrators everything (DESIGN.md §10)."""
        if not user.is_authenticated:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(Q(party_id__in=_party_ids_for(user)) | Q(commitment__lead_board_id__in=_board_ids_for(user)))

    def for_api(self, on: dt.date | None = None) -> ObligationQuerySet:
        """Obligations for the API with commitment, party, owner, overdue and their actions:
        1 query for the rows + 1 prefetch, whatever the page size."""
        from .models import Action

        return (
            self.select_related("commitment", "party", "owner", "assurance_by")
            .with_overdue(on)
            .prefetch_related(  # type: ignore[return-value]
                models.Prefetch("actions", queryset=Action.objects.select_related("owner").with_overdue(on).order_by("due_date", "id"))
            )
        )

    def owed_by_user(self, user: Any) -> ObligationQuerySet:
        """What the user's organisations owe, or what the user owns: the "My work" list."""
        return self.filter(Q(party_id__in=_party_ids_for(user)) | Q(owner=user))


class ActionQuerySet(TrackedQuerySet):
    def with_at_risk(self, on: dt.date | None = None) -> ActionQuerySet:
        """Annotate ``at_risk``: open, and waiting on something overdue, not pursued or rated red."""
        return self.annotate(at_risk=at_risk_case("action", on))

    def at_risk(self, value: bool = True, on: dt.date | None = None) -> ActionQuerySet:
        condition = at_risk_q("action", on)
        return self.filter(condition) if value else self.exclude(condition)

    def for_list(self, on: dt.date | None = None) -> ActionQuerySet:
        qs = self.with_at_risk(on).select_related(
            "obligation", "obligation__party", "obligation__commitment", "obligation__commitment__theme", "owner"
        )
        return qs.with_overdue(on)  # type: ignore[return-value]

    def writable_by(self, user: Any) -> ActionQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(obligation__party_id__in=_party_ids_for(user)) | Q(obligation__commitment__lead_board_id__in=_board_ids_for(user))
        )

    def for_api(self, on: dt.date | None = None) -> ActionQuerySet:
        """Actions for the API with their obligation, party, commitment and owner: one query."""
        from .models import Action

        return (
            self.with_at_risk(on)  # type: ignore[return-value]
            .select_related("obligation__party", "obligation__commitment", "owner")
            .only(
                *own_fields(Action),
                "obligation__id",
                "obligation__party",
                "obligation__commitment",
                *_brief("obligation__party", "slug", "name"),
                *_brief("obligation__commitment", "ref", "title"),
                *_brief("owner", *USER_BRIEF),
            )
            .with_overdue(on)
            .prefetch_related(*dependency_prefetches())
        )

    def owed_by_user(self, user: Any) -> ActionQuerySet:
        return self.filter(Q(obligation__party_id__in=_party_ids_for(user)) | Q(owner=user))


class PendingUpdateQuerySet(models.QuerySet[Any]):
    """Updates awaiting approval (issue 15). Only their author, their party's officers and the
    deciding board's secretariat see them; everyone else sees the published state alone."""

    def visible_to(self, user: Any) -> PendingUpdateQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(Q(author=user) | Q(party_id__in=_party_ids_for(user)) | Q(board_id__in=_board_ids_for(user)))

    def decidable_by(self, user: Any) -> PendingUpdateQuerySet:
        """Those the user may approve or return: their boards' (administrators: all)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(board_id__in=_board_ids_for(user))

    def submitted(self) -> PendingUpdateQuerySet:
        return self.filter(state="submitted")

    def for_list(self) -> PendingUpdateQuerySet:
        return self.select_related("commitment", "obligation__party", "action", "party", "board", "author", "decided_by", "published")


class StatusUpdateQuerySet(models.QuerySet[Any]):
    def for_timeline(self) -> StatusUpdateQuerySet:
        return self.select_related("author", "party", "commitment", "obligation__party", "action", *ASSIGNMENT_RELATED)

    def newest(self, limit: int, *, commitments: models.QuerySet[Any] | None = None) -> list[Any]:
        """The newest ``limit`` rows of this queryset, newest first: two queries (their ids, then
        the rows with whatever this queryset selects).

        Ordering the filtered history by time makes PostgreSQL walk the time index until ``limit``
        rows match, which is right for all of London but, for a board or party whose items are
        rarely updated, reads most of the history (minutes at 5,000,000 rows). Given
        ``commitments`` (every commitment the rows can belong to), on PostgreSQL each of them
        gives its own newest rows from the (commitment, time) index through a ``LATERAL`` join,
        and only those few are sorted; the filtered query is compiled by the ORM either way.
        """
        from django.db import connections
        from django.db.models.expressions import RawSQL

        ordered = self.order_by("-created_at", "-id")
        if commitments is None or connections[self.db].vendor != "postgresql":
            ids = list(ordered.values_list("pk", flat=True)[:limit])
        else:
            # Named annotations, so the columns of both derived tables have known names.
            per = ordered.filter(commitment_id=RawSQL('"newest_c"."newest_commitment"', ()))
            per = per.annotate(newest_row=F("pk"), newest_at=F("created_at")).values_list("newest_row", "newest_at")[:limit]
            inner, inner_params = per.query.sql_with_params()
            outer, outer_params = (
                commitments.order_by().annotate(newest_commitment=F("pk")).values_list("newest_commitment").query.sql_with_params()
            )
            with connections[self.db].cursor() as cursor:
                cursor.execute(
                    f'SELECT x.newest_row FROM ({outer}) "newest_c" CROSS JOIN LATERAL ({inner}) x '
                    "ORDER BY x.newest_at DESC, x.newest_row DESC LIMIT %s",
                    (*outer_params, *inner_params, limit),
                )
                ids = [row[0] for row in cursor.fetchall()]
        return list(self.filter(pk__in=ids).order_by("-created_at", "-id"))

    def for_api(self) -> StatusUpdateQuerySet:
        """History rows for the API with everything they reference joined: one query."""
        return self.select_related("author", "approved_by", "party", "commitment", "obligation__party", "action", *ASSIGNMENT_RELATED)
