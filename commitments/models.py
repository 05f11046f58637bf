"""What is owed: agreements, themes, commitments, obligations, actions and their history.

The state every trackable item carries (status, RAG, progress, version, overdue_since) lives in
:class:`TrackedState`. Every change of it goes through :func:`commitments.services.record_update`,
which writes a :class:`StatusUpdate` row in the same transaction; nothing is overwritten without a
history row. "Overdue" is never stored as a flag: it is computed from dates (DESIGN.md §10) by the
rule in :mod:`commitments.lifecycle`; the daily pass only records ``overdue_since`` and escalation
steps.

One module of ~800 lines on purpose: the models are one web of foreign keys and constraints (a
commitment's obligations, their actions, their history), read together when the schema changes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from boards.models import Basis, Board, Meeting, Party
from pilots.models import Pilot

from . import lifecycle, querysets
from .lifecycle import Status as Status
from .lifecycle import london_today as london_today

if TYPE_CHECKING:
    pass


class Rag(models.TextChoices):
    """Red/amber/green rating; empty means not yet assessed (DESIGN.md §10)."""

    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    __empty__ = "Not assessed"


RAG_VALUES = ["red", "amber", "green"]  # Rag.values also holds None for the empty choice
RAG_SEVERITY = {"red": 3, "amber": 2, "green": 1, "": 0}


class DatePrecision(models.TextChoices):
    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


class TrackedState(models.Model):
    """The state shared by commitments, obligations and actions.

    ``version`` rises by one with every change; writers send the version they saw, and a mismatch
    is refused (no lost updates). ``overdue_since`` is the first London day the item was seen
    overdue by the daily pass; ``escalation_level`` the highest escalation step taken since then.
    """

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    rag = models.CharField(max_length=5, choices=Rag.choices, default="", blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    overdue_since = models.DateField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True

    @staticmethod
    def assurance_constraint(prefix: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(assurance_rag__in=["", *RAG_VALUES]),
            name=f"{prefix}_assurance_rag_valid",
            violation_error_message="Unknown RAG rating.",
        )

    @classmethod
    def state_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name=f"{prefix}_progress_0_100",
                violation_error_message="Progress must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name=f"{prefix}_status_valid", violation_error_message="Unknown status."
            ),
            models.CheckConstraint(
                condition=Q(rag__in=["", *RAG_VALUES]), name=f"{prefix}_rag_valid", violation_error_message="Unknown RAG rating."
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name=f"{prefix}_version_positive"),
        ]

    @property
    def is_closed(self) -> bool:
        """Complete or not pursued (DESIGN.md §10)."""
        return lifecycle.is_closed(self.status)

    def is_overdue_on(self, on: dt.date | None = None) -> bool:
        """Whether the item is overdue on the London day ``on`` (default today), by the one rule in
        :mod:`commitments.lifecycle`. (Not ``is_overdue``: querysets annotate that name.)"""
        return lifecycle.is_overdue(self.rule_due_date, self.rule_status, on)

    @property
    def rule_due_date(self) -> dt.date | None:
        """The date the overdue rule reads: the due date (a commitment's target date)."""
        return getattr(self, "due_date", None)

    @property
    def rule_status(self) -> str:
        """The status the overdue rule reads (a commitment's shown status)."""
        return self.status


class Assured(models.Model):
    """The assurance rating of an obligation or a commitment (issue 15): the RAG given by the lead
    board's secretariat (London Councils' where no board leads), beside the owner's self-assessed
    one (an obligation's ``rag``; a commitment's shown RAG). Who gave it, when and why are kept on
    the item; every change is also a history row (:func:`commitments.services.record_assurance`).
    Roll-ups and reports use the assurance rating where there is one (:attr:`rating_used`)."""

    # Defaults in the database too, so set-based writers that insert rows (bench.loadgen) need not
    # name these columns.
    assurance_rag = models.CharField(max_length=5, choices=Rag.choices, default="", db_default="", blank=True)
    assurance_at = models.DateTimeField(null=True, blank=True)
    # Indexed only where given (each model's ``<model>_assured_by``): a full index on a mostly-null key
    # costs every write of the row that changes an indexed column (the overdue pass's flagging).
    assurance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    assurance_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        abstract = True

    @property
    def self_assessed_rag(self) -> str:
        """The owner's rating: an obligation's ``rag``, a commitment's shown RAG."""
        return str(self.rag)  # type: ignore[attr-defined]

    @property
    def rating_used(self) -> str:
        """The rating roll-ups and reports use: the assurance rating where there is one."""
        return self.assurance_rag or self.self_assessed_rag

    @property
    def rating_source(self) -> str:
        """Which rating :attr:`rating_used` is: ``assurance`` or ``self``."""
        return "assurance" if self.assurance_rag else "self"

    @property
    def ratings_disagree(self) -> bool:
        """An assurance rating is given and differs from the self-assessed one."""
        return bool(self.assurance_rag) and self.assurance_rag != self.self_assessed_rag


class Agreement(models.Model):
    """An instrument commitments come from: the 2015 Devolution Agreement, the 2017 MoU, London
    Councils' own undertakings (Leaders' Committee, 5 Dec 2017) and the Work and Health Programme
    deal. ``supersedes`` leaves room for later versions and addenda."""

    class Kind(models.TextChoices):
        DEVOLUTION_AGREEMENT = "devolution_agreement", "Devolution agreement"
        MOU = "mou", "Memorandum of understanding"
        UNDERTAKINGS = "undertakings", "London Councils' undertakings"
        RELATED_DEAL = "related_deal", "Related deal"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=300)
    short_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=25, choices=Kind.choices)
    date = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    title_as_printed = models.CharField(max_length=300, blank=True)
    purpose = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True)
    in_dashboards_by_default = models.BooleanField(default=False)
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "slug"]

    def __str__(self) -> str:
        return self.short_name


class Signatory(models.Model):
    """A person who signed an agreement on behalf of a party, as printed on its signature page."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="signatures")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    organisation = models.CharField(max_length=300)
    side = models.CharField(max_length=60, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agreement", "order"]
        constraints = [models.UniqueConstraint(fields=["agreement", "party"], name="signatory_once_per_agreement")]
        verbose_name_plural = "signatories"

    def __str__(self) -> str:
        return f"{self.name}, {self.role}"


class Theme(models.Model):
    """One of the six themes of the inventory, with its name exactly as the data spells it."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    ref_prefix = models.CharField(max_length=5, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    subthemes = models.JSONField(default=dict, blank=True)
    expected_benefits = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Commitment(Assured, TrackedState):
    """One item of agreement text (an inventory entry), keyed by its stable ``ref`` (``EST-03``).

    Its own state fields hold the *assessed* state recorded by the lead board's secretariat
    (``assessed_at`` is set once one is recorded). The roll-up of its obligations is kept in the
    ``rollup_*`` fields by the write path. What a commitment *shows* is the assessed state when there
    is one, else the roll-up (DESIGN.md §10); see ``CommitmentQuerySet.with_shown_state``.
    """

    class Kind(models.TextChoices):
        DELEGATION = "delegation", "Delegation"
        COMMITMENT = "commitment", "Commitment"
        OPPORTUNITY = "opportunity", "Opportunity"
        EXPLORATION = "exploration", "Exploration"
        ESTABLISHMENT = "establishment", "Establishment"
        ARRANGEMENT = "arrangement", "Arrangement"
        OBLIGATION = "obligation", "Obligation"
        REPORTING = "reporting", "Reporting"
        PROPOSAL = "proposal", "Proposal"

    ref = models.CharField(max_length=12, unique=True)
    key = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    summary = models.TextField()
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="commitments")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="commitments")
    subtheme = models.SlugField(max_length=80, blank=True)
    kind = models.CharField(max_length=15, choices=Kind.choices)
    framing = models.CharField(max_length=300, blank=True, help_text="The source's own verb phrase.")
    lead_board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_commitments")
    lead_board_basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.NOT_STATED)
    co_lead_boards = models.ManyToManyField(Board, blank=True, related_name="co_led_commitments")
    recipients = models.ManyToManyField(Board, blank=True, related_name="commitments_reported_to")
    other_parties = models.ManyToManyField(Party, blank=True, related_name="mentioned_in_commitments")
    pilots: models.ManyToManyField[Pilot, CommitmentPilot] = models.ManyToManyField(
        Pilot, through="CommitmentPilot", blank=True, related_name="commitments"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    target_date = models.DateField(null=True, blank=True, help_text="The end of the period the sources give.")
    target_date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    timing = models.TextField(blank=True, help_text="The sources' words on timing.")
    amount = models.CharField(max_length=300, blank=True)
    conditions = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rollup_status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    rollup_rag = models.CharField(max_length=5, choices=Rag.choices, default="", blank=True)
    rollup_progress = models.PositiveSmallIntegerField(default=0)

    objects = querysets.CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["theme__order", "ref"]
        constraints = [
            *TrackedState.state_constraints("commitment"),
            TrackedState.assurance_constraint("commitment"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="commitment_not_own_parent"),
        ]
        indexes = [
            models.Index(fields=["target_date"], name="commitment_target_date"),
            models.Index(fields=["theme", "ref"], name="commitment_theme_ref"),
            models.Index(fields=["assurance_by"], condition=Q(assurance_by__isnull=False), name="commitment_assured_by"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def is_assessed(self) -> bool:
        return self.assessed_at is not None

    @property
    def shown_status(self) -> str:
        return self.status if self.is_assessed else self.rollup_status

    @property
    def shown_rag(self) -> str:
        return self.rag if self.is_assessed else self.rollup_rag

    @property
    def shown_progress(self) -> int:
        return self.progress if self.is_assessed else self.rollup_progress

    @property
    def assessment_differs(self) -> bool:
        """True when the secretariat's assessment and the obligations' roll-up disagree."""
        return self.is_assessed and (self.status, self.rag) != (self.rollup_status, self.rollup_rag)

    @property
    def self_assessed_rag(self) -> str:
        return self.shown_rag

    @property
    def due_date(self) -> dt.date | None:
        return self.target_date

    @property
    def rule_status(self) -> str:
        return self.shown_status


class CommitmentPilot(models.Model):
    """A pilot a commitment concerns, with how sure the sources are of the link."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="pilot_links")
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="commitment_links")
    basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.STATED)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commitment", "pilot"], name="commitment_pilot_once")]

    def __str__(self) -> str:
        return f"{self.commitment_id} concerns {self.pilot_id} ({self.basis})"


class CommitmentLink(models.Model):
    """A dependency between commitments: ``followed_up_by`` (a 2015 item the MoU takes forward) or
    ``related`` (possible duplicates and cross-references the inventory keeps separate)."""

    class Kind(models.TextChoices):
        FOLLOWED_UP_BY = "followed_up_by", "Followed up by"
        RELATED = "related", "Related to"

    source = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=15, choices=Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target", "kind"], name="commitment_link_once")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.get_kind_display().lower()} {self.target_id}"


class Dependency(models.Model):
    """One item waits on another (issue 15): the *dependent* (a commitment or an action) cannot
    move until its *prerequisite* (a commitment or an action, under any commitment) has.

    Exactly one of ``commitment``/``action`` names the dependent, exactly one of
    ``prerequisite_commitment``/``prerequisite_action`` the prerequisite. A dependency from the
    sources (``basis="sources"``) keeps where the inventory gives it: the entry (``source_key``),
    its field (``source_field``: ``followed_up_by``, ``parent``, ``conditions``…) and the words or
    citation it rests on (``source_note``). Writes go through :mod:`commitments.dependencies`, which
    also refuses cycles (a constraint cannot see a chain).
    """

    class Basis(models.TextChoices):
        SOURCES = "sources", "From the sources"
        SECRETARIAT = "secretariat", "Added by a secretariat"

    commitment = models.ForeignKey(Commitment, null=True, blank=True, on_delete=models.CASCADE, related_name="waiting_on_links")
    action = models.ForeignKey("Action", null=True, blank=True, on_delete=models.CASCADE, related_name="waiting_on_links")
    prerequisite_commitment = models.ForeignKey(
        Commitment, null=True, blank=True, on_delete=models.CASCADE, related_name="holding_up_links"
    )
    prerequisite_action = models.ForeignKey("Action", null=True, blank=True, on_delete=models.CASCADE, related_name="holding_up_links")
    basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.SECRETARIAT)
    source_key = models.CharField(max_length=80, blank=True, help_text="The inventory entry the dependency is read from.")
    source_field = models.CharField(max_length=40, blank=True, help_text="The entry's field that gives it.")
    source_note = models.TextField(blank=True, help_text="The words or citation it rests on.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "dependencies"
        constraints = [
            models.CheckConstraint(
                condition=Q(commitment__isnull=False, action__isnull=True) | Q(commitment__isnull=True, action__isnull=False),
                name="dependency_one_dependent",
                violation_error_message="A dependency is of exactly one commitment or action.",
            ),
            models.CheckConstraint(
                condition=Q(prerequisite_commitment__isnull=False, prerequisite_action__isnull=True)
                | Q(prerequisite_commitment__isnull=True, prerequisite_action__isnull=False),
                name="dependency_one_prerequisite",
                violation_error_message="A dependency waits on exactly one commitment or action.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(commitment__isnull=True) | Q(prerequisite_commitment__isnull=True) | ~Q(commitment=F("prerequisite_commitment"))
                )
                & (Q(action__isnull=True) | Q(prerequisite_action__isnull=True) | ~Q(action=F("prerequisite_action"))),
                name="dependency_not_on_itself",
                violation_error_message="An item cannot wait on itself.",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=["sources", "secretariat"]), name="dependency_basis_valid", violation_error_message="Unknown basis."
            ),
            # One per pair, for each of the four shapes (a unique constraint over nullable columns
            # would let NULLs repeat).
            *(
                models.UniqueConstraint(
                    fields=[dependent, prerequisite],
                    condition=Q(**{f"{dependent}__isnull": False, f"{prerequisite}__isnull": False}),
                    name=f"dependency_once_{dependent[0]}{prerequisite.split('_')[1][0]}",
                    violation_error_message="This item already waits on that one.",
                )
                for dependent in ("commitment", "action")
                for prerequisite in ("prerequisite_commitment", "prerequisite_action")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dependent_label} waits on {self.prerequisite_label}"

    @property
    def dependent(self) -> Commitment | Action:
        return self.commitment if self.commitment is not None else self.action  # type: ignore[return-value]

    @property
    def prerequisite(self) -> Commitment | Action:
        return self.prerequisite_commitment if self.prerequisite_commitment is not None else self.prerequisite_action  # type: ignore[return-value]

    @staticmethod
    def label_of(item: Any) -> str:
        """How pages, notes and messages name an item: a commitment by ref, an action by number."""
        return item.ref if isinstance(item, Commitment) else f"action {item.pk}"

    @property
    def dependent_label(self) -> str:
        return self.label_of(self.dependent)

    @property
    def prerequisite_label(self) -> str:
        return self.label_of(self.prerequisite)


class Citation(models.Model):
    """Where a commitment comes from: a passage of a source document.

    ``document`` (the source's file name) and ``lines`` trace the passage back to the inventory;
    people read the rest: the document's publisher, title, kind and date, the ``location`` of the
    passage in it ("paragraph 10", "Appendix one, 'Regulation'") and a ``url`` where the document
    is published. ``load_mou`` fills them from ``data/source-documents.yaml``
    (:mod:`commitments.sources`); :attr:`reference` joins them as a reference list would.
    """

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="citations")
    document = models.CharField(max_length=200, help_text="The source's file name (traceability, not for display).")
    document_title = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    document_kind = models.CharField(max_length=100, blank=True)
    document_date = models.DateField(null=True, blank=True)
    document_date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    location = models.CharField(max_length=300, blank=True, help_text="Where in the document: paragraph, item, section or page.")
    url = models.URLField(max_length=500, blank=True)
    lines = models.CharField(max_length=40, blank=True, help_text="Line numbers in the source file (traceability, not for display).")
    quote = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["commitment", "order"]

    def __str__(self) -> str:
        return self.reference or self.quote[:60]

    @property
    def document_date_text(self) -> str:
        from .sources import format_date

        return format_date(self.document_date, self.document_date_precision or "day")

    @property
    def reference(self) -> str:
        """The citation as a person writes it: "London Councils Leaders' Committee, 'Health and
        Social Care Devolution', 5 December 2017, Item 8, paragraph 10". Never the file name."""
        title = f"‘{self.document_title}’" if self.document_title else ""
        parts = [self.publisher, title, self.document_date_text, self.location]
        return ", ".join(p for p in parts if p)

    @property
    def details(self) -> str:
        """The reference without the title (pages show the title on its own line, as a link)."""
        return ", ".join(p for p in (self.publisher, self.document_date_text, self.location) if p)


class Clause(models.Model):
    """What public copies of the signed MoU confirm (``mou-clauses.yaml``): a clause or principle
    quoted from, or attributed to, the MoU, with its evidence and the commitments it corroborates.
    ``number`` is empty until the clause numbers are recovered from the signed text."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="clauses")
    key = models.SlugField(max_length=20, unique=True)
    number = models.CharField(max_length=60, blank=True)
    section = models.CharField(max_length=200, blank=True)
    location = models.CharField(
        max_length=300, blank=True, help_text="Where in the signed MoU, as a reader would put it (section, paragraph)."
    )
    reference = models.CharField(max_length=500, blank=True, help_text="The MoU's printed title, its date and the location.")
    kind = models.CharField(max_length=20)
    summary = models.TextField()
    locator = models.TextField(blank=True)
    locator_source = models.CharField(max_length=60, blank=True)
    timing = models.TextField(blank=True)
    amount = models.TextField(blank=True)
    conditions = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    lead_board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="clauses")
    parties = models.ManyToManyField(Party, blank=True, related_name="clauses")
    commitments = models.ManyToManyField(Commitment, blank=True, related_name="clauses")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.summary[:60]}"

    @property
    def locator_source_text(self) -> str:
        """Where the quoted wording was read, for people: the MoU copy itself or the publication
        that quotes it (``locator_source`` keeps the data file's value)."""
        return "a public copy of the signed MoU" if self.locator_source == "mou-transcript" else self.locator_source

    @property
    def evidence_links(self) -> list[dict[str, str]]:
        """The outside sources that attest the clause, each as publisher and link (web links only)."""
        links = []
        for e in self.evidence or []:
            url = str(e.get("url") or "") if isinstance(e, dict) else ""
            if url.startswith(("https://", "http://")):
                links.append({"url": url, "publisher": str(e.get("publisher") or url), "grade": str(e.get("grade") or "")})
        return links


class Obligation(Assured, TrackedState):
    """What one party owes under one commitment; a commitment with four parties has four."""

    # No single-column indexes on these two: the unique (commitment, party) constraint and the
    # (party, due_date) index below start with them (issue 7: fewer indexes to keep up per write).
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="obligations", db_index=False)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="obligations", db_index=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_obligations", db_index=False
    )
    due_date = models.DateField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, help_text="Owner, dates and state are illustrative demo data.")

    objects = querysets.ObligationQuerySet.as_manager()

    class Meta:
        ordering = ["commitment__ref", "party__name"]
        constraints = [
            *TrackedState.state_constraints("obligation"),
            TrackedState.assurance_constraint("obligation"),
            models.UniqueConstraint(
                fields=["commitment", "party"],
                name="obligation_once_per_party",
                violation_error_message="This party already has an obligation under this commitment.",
            ),
        ]
        indexes = [
            # The overdue pass and the "overdue" filters look for open items by due date.
            models.Index(fields=["due_date"], condition=lifecycle.open_q(), name="obligation_open_due"),
            models.Index(fields=["party", "due_date"], name="obligation_party_due"),
            # Mostly-null keys are indexed where set only (issue 12: fewer index entries per write).
            models.Index(fields=["owner"], condition=Q(owner__isnull=False), name="obligation_owned"),
            models.Index(fields=["assurance_by"], condition=Q(assurance_by__isnull=False), name="obligation_assured_by"),
            # The daily overdue pass (commitments.overdue, issue 7): items not yet flagged by due
            # date; flagged items by due date, and the rare flagged-but-closed ones (to clear);
            # flagged items by (level, overdue_since) for the ladder, which also holds the pass's
            # transient marks (>= 32000) while it runs. Each finds the few rows that change today.
            models.Index(
                fields=["due_date"], condition=Q(overdue_since__isnull=True) & lifecycle.open_q(), name="obligation_unflagged_due"
            ),
            models.Index(fields=["due_date"], condition=Q(overdue_since__isnull=False), name="obligation_flagged_due"),
            models.Index(
                fields=["id"],
                condition=Q(overdue_since__isnull=False) & lifecycle.closed_q(),
                name="obligation_flagged_closed",
            ),
            models.Index(
                fields=["escalation_level", "overdue_since"],
                condition=Q(overdue_since__isnull=False) | Q(escalation_level__gte=32000),
                name="obligation_ladder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.ref} — {self.party.name}"


class Action(TrackedState):
    """A concrete, dated step under an obligation (a milestone of the delivery plan)."""

    # obligation and owner lead the (obligation, due_date) and (owner, due_date) indexes below,
    # which serve every look-up by them; created_by is indexed only where set (issue 7).
    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="actions", db_index=False)
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_actions", db_index=False
    )
    due_date = models.DateField()
    original_due_date = models.DateField()
    completed_date = models.DateField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, help_text="Illustrative demo data, not from the sources.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    objects = querysets.ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            *TrackedState.state_constraints("action"),
            models.CheckConstraint(
                condition=Q(status="complete", completed_date__isnull=False) | ~Q(status="complete"),
                name="action_complete_has_date",
                violation_error_message="A complete action needs its completion date.",
            ),
        ]
        indexes = [
            models.Index(fields=["due_date"], condition=lifecycle.open_q(), name="action_open_due"),
            models.Index(fields=["obligation", "due_date"], name="action_obligation_due"),
            models.Index(fields=["owner", "due_date"], condition=Q(owner__isnull=False), name="action_owner_due"),
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False), name="action_created_by"),
            # The daily overdue pass (commitments.overdue, issue 7): items not yet flagged by due
            # date; flagged items by due date, and the rare flagged-but-closed ones (to clear);
            # flagged items by (level, overdue_since) for the ladder, which also holds the pass's
            # transient marks (>= 32000) while it runs. Each finds the few rows that change today.
            models.Index(fields=["due_date"], condition=Q(overdue_since__isnull=True) & lifecycle.open_q(), name="action_unflagged_due"),
            models.Index(fields=["due_date"], condition=Q(overdue_since__isnull=False), name="action_flagged_due"),
            models.Index(fields=["id"], condition=Q(overdue_since__isnull=False) & lifecycle.closed_q(), name="action_flagged_closed"),
            models.Index(
                fields=["escalation_level", "overdue_since"],
                condition=Q(overdue_since__isnull=False) | Q(escalation_level__gte=32000),
                name="action_ladder",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def commitment(self) -> Commitment:
        return self.obligation.commitment


# A history row or an update awaiting approval names exactly one target: a commitment (its assessed
# state), an obligation, or an action (whose obligation and commitment are filled in beside it).
ONE_TARGET = (
    Q(target_type="commitment", obligation__isnull=True, action__isnull=True)
    | Q(target_type="obligation", obligation__isnull=False, action__isnull=True)
    | Q(target_type="action", action__isnull=False)
)


class StatusUpdate(models.Model):
    """Append-only history: who changed what, when, from what to what, why, with what evidence.

    Exactly one of ``obligation``/``action`` is set for obligation and action updates; neither for a
    commitment's own (assessed) update. ``commitment`` (and ``party`` where there is one) are always
    filled so history can be filtered without joins.
    """

    class TargetType(models.TextChoices):
        COMMITMENT = "commitment", "Commitment"
        OBLIGATION = "obligation", "Obligation"
        ACTION = "action", "Action"

    class Source(models.TextChoices):
        WEB = "web", "Browser"
        API = "api", "API"
        IMPORT = "import", "Spreadsheet import"
        SYSTEM = "system", "DevoTracker"
        DEMO = "demo", "Demo data"

    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    # No single-column indexes on these three: the (target, created_at) indexes in Meta start with
    # the same column and serve every look-up by target, so a second index would only slow the
    # writes (issue 7: 5,000,000 history rows).
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="updates", db_index=False)
    obligation = models.ForeignKey(Obligation, null=True, blank=True, on_delete=models.CASCADE, related_name="updates", db_index=False)
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.CASCADE, related_name="updates", db_index=False)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Indexed only where set (see Meta): most history rows of a large deployment are the system's.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="status_updates", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    from_rag = models.CharField(max_length=5, blank=True)
    to_rag = models.CharField(max_length=5, blank=True)
    from_progress = models.PositiveSmallIntegerField(null=True, blank=True)
    to_progress = models.PositiveSmallIntegerField(null=True, blank=True)
    from_due_date = models.DateField(null=True, blank=True)
    to_due_date = models.DateField(null=True, blank=True)
    # The assurance rating (issue 15): a row written by commitments.assurance changes it (the two
    # differ); every other row leaves both empty (the set-based writers' inserts use the defaults).
    from_assurance_rag = models.CharField(max_length=5, blank=True, default="", db_default="")
    to_assurance_rag = models.CharField(max_length=5, blank=True, default="", db_default="")
    version = models.PositiveIntegerField(help_text="The target's version after this update.")
    reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)
    is_demo = models.BooleanField(default=False)
    # Set when the update was published by a secretariat's approval (issue 15): ``author`` wrote
    # it, ``approved_by`` let it through.
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    # An assignment (issue 16, "nothing without an owner"): a row written by commitments.ownership
    # gives an obligation or action its owner, or a commitment its lead board; the pair differs.
    # Every other row leaves all four empty. Indexed only where set (see Meta), as ``author``.
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    from_lead_board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    to_lead_board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)

    objects = querysets.StatusUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=ONE_TARGET,
                name="status_update_one_target",
                violation_error_message="An update has exactly one target.",
            ),
        ]
        indexes = [
            models.Index(fields=["commitment", "created_at"], name="update_commitment_time"),
            models.Index(fields=["obligation", "created_at"], name="update_obligation_time"),
            models.Index(fields=["action", "created_at"], name="update_action_time"),
            models.Index(fields=["author"], condition=Q(author__isnull=False), name="update_author"),
            # Assignments (issue 16) are rare rows: the partial indexes keep deleting a user or a
            # board (SET NULL) from scanning the whole history.
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"update_{name}")
                for name in ("from_owner", "to_owner", "from_lead_board", "to_lead_board")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_type} update {self.pk} by {self.author or 'DevoTracker'}"

    @property
    def target(self) -> TrackedState:
        return self.action or self.obligation or self.commitment

    def changes(self) -> list[tuple[str, Any, Any]]:
        """The fields this update changed, as (label, before, after)."""
        out: list[tuple[str, Any, Any]] = []
        if self.from_status != self.to_status and self.to_status:
            out.append(("Status", Status(self.from_status).label if self.from_status else "", Status(self.to_status).label))
        if self.from_rag != self.to_rag:
            out.append(
                (
                    "RAG",
                    Rag(self.from_rag).label if self.from_rag else "Not assessed",
                    Rag(self.to_rag).label if self.to_rag else "Not assessed",
                )
            )
        if self.from_assurance_rag != self.to_assurance_rag:
            out.append(
                (
                    "Assurance RAG",
                    Rag(self.from_assurance_rag).label if self.from_assurance_rag else "Not assessed",
                    Rag(self.to_assurance_rag).label if self.to_assurance_rag else "Not assessed",
                )
            )
        if self.to_progress is not None and self.from_progress != self.to_progress:
            out.append(("Progress", f"{self.from_progress or 0}%", f"{self.to_progress}%"))
        if self.from_due_date != self.to_due_date and (self.from_due_date or self.to_due_date):
            out.append(("Due date", self.from_due_date, self.to_due_date))
        if self.from_owner_id != self.to_owner_id:
            out.append(("Owner", _person_or(self.from_owner, "No owner"), _person_or(self.to_owner, "No owner")))
        if self.from_lead_board_id != self.to_lead_board_id:
            out.append(("Lead board", _board_or(self.from_lead_board), _board_or(self.to_lead_board)))
        return out

    @property
    def is_assignment(self) -> bool:
        """Whether the row gives an owner or a lead board (issue 16)."""
        return self.from_owner_id != self.to_owner_id or self.from_lead_board_id != self.to_lead_board_id


def _person_or(user: Any, empty: str) -> str:
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()


def _board_or(board: Any) -> str:
    return f"{board.name} ({board.code})" if board is not None else "No lead board"


class PendingUpdate(models.Model):
    """An officer's update awaiting the secretariat's approval (issue 15: approval before publishing).

    Where the lead board of an item's commitment has ``requires_approval`` on, an officer's update
    is kept here instead of being applied: the item (and so every dashboard, paper, download,
    webhook and API representation) keeps its published state until the board's secretariat
    approves, when :func:`commitments.approval.approve` applies it through the one history writer.
    At most one update per item is ``submitted`` at a time (a partial unique constraint), so none
    is lost or applied twice; a returned one stays as the record of what was asked and why it was
    returned.
    """

    class State(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting approval"
        RETURNED = "returned", "Returned"
        APPROVED = "approved", "Approved"
        REPLACED = "replaced", "Replaced"
        WITHDRAWN = "withdrawn", "Withdrawn"

    target_type = models.CharField(max_length=10, choices=StatusUpdate.TargetType.choices)
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="pending_updates")
    obligation = models.ForeignKey(Obligation, null=True, blank=True, on_delete=models.CASCADE, related_name="pending_updates")
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.CASCADE, related_name="pending_updates")
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    board = models.ForeignKey(
        Board, on_delete=models.PROTECT, related_name="pending_updates", help_text="The board whose approval it needs."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="pending_updates")
    source = models.CharField(max_length=10, choices=StatusUpdate.Source.choices, default=StatusUpdate.Source.WEB)
    created_at = models.DateTimeField(default=timezone.now)
    base_version = models.PositiveIntegerField(help_text="The item's published version the update was written against.")
    # What the officer asked for; empty (None / "") where it leaves a field as it is.
    status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    rag = models.CharField(max_length=5, blank=True)
    changes_rag = models.BooleanField(default=False, help_text="Whether the update sets the RAG (an empty RAG clears it).")
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUBMITTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, help_text="The secretariat's comment when returning (or approving).")
    published = models.OneToOneField(
        StatusUpdate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pending_update",
        help_text="The history row its approval wrote.",
    )
    replaced_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces")

    objects = querysets.PendingUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=ONE_TARGET,
                name="pending_update_one_target",
                violation_error_message="An update has exactly one target.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["submitted", "returned", "approved", "replaced", "withdrawn"]), name="pending_update_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="submitted", decided_at__isnull=True) | (~Q(state="submitted") & Q(decided_at__isnull=False)),
                name="pending_update_decided_when_not_submitted",
            ),
            # One update awaiting approval per item: a second is refused or replaces it explicitly.
            models.UniqueConstraint(
                fields=["action"], condition=Q(state="submitted", target_type="action"), name="pending_update_one_per_action"
            ),
            models.UniqueConstraint(
                fields=["obligation"], condition=Q(state="submitted", target_type="obligation"), name="pending_update_one_per_obligation"
            ),
            models.UniqueConstraint(
                fields=["commitment"], condition=Q(state="submitted", target_type="commitment"), name="pending_update_one_per_commitment"
            ),
        ]
        indexes = [
            models.Index(fields=["board", "state"], name="pending_update_board_state"),
            models.Index(fields=["author", "state"], name="pending_update_author_state"),
        ]

    def __str__(self) -> str:
        return f"{self.target_type} update {self.pk} ({self.get_state_display().lower()})"

    @property
    def target(self) -> TrackedState:
        return self.action or self.obligation or self.commitment

    @property
    def is_open(self) -> bool:
        return self.state == self.State.SUBMITTED

    def changes(self) -> list[tuple[str, Any, Any]]:
        """What it would change on the item as published now, as (label, now, asked)."""
        target = self.target
        out: list[tuple[str, Any, Any]] = []
        if self.status and self.status != target.status:
            out.append(("Status", Status(target.status).label, Status(self.status).label))
        if self.changes_rag and self.rag != target.rag:
            out.append(
                ("RAG", Rag(target.rag).label if target.rag else "Not assessed", Rag(self.rag).label if self.rag else "Not assessed")
            )
        if self.progress is not None and self.progress != target.progress:
            out.append(("Progress", f"{target.progress}%", f"{self.progress}%"))
        due = target.rule_due_date
        if self.due_date is not None and self.due_date != due:
            out.append(("Due date", due, self.due_date))
        return out


class Escalation(models.Model):
    """One step of the escalation ladder taken for an overdue obligation or action.

    Steps (DESIGN.md §10): 1 the owner (or the party's officers) on day 0; 2 the lead board's
    secretariat after 14 days; 3 the next Leaders' Committee report after 28. The unique constraint
    on (target, step, overdue_since) makes the ladder impossible to repeat for one overdue spell.
    """

    class Step(models.IntegerChoices):
        OWNER = 1, "Owner told"
        SECRETARIAT = 2, "Lead board's secretariat told"
        COMMITTEE = 3, "On the next Leaders' Committee report"

    target_type = models.CharField(max_length=10, choices=[("obligation", "Obligation"), ("action", "Action")])
    obligation = models.ForeignKey(Obligation, null=True, blank=True, on_delete=models.CASCADE, related_name="escalations")
    # An action's steps are found through escalation_action_once (it starts with the action).
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.CASCADE, related_name="escalations", db_index=False)
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="escalations")
    step = models.PositiveSmallIntegerField(choices=Step.choices)
    overdue_since = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    notified = models.JSONField(default=list, blank=True, help_text="E-mail addresses told of this step.")
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="When the item stopped being overdue.")
    # Issue 16: the step went to the default board's secretariat (commitments.escalation's
    # FALLBACK_BOARD_CODE, the SPB) because no board leads the commitment. Set by the one writer
    # of escalations, the overdue pass's set-based SQL (commitments.bulk).
    fell_to_default_board = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Sent to the default board (the SPB) because no board leads the commitment.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "step", "overdue_since"], condition=Q(action__isnull=False), name="escalation_action_once"
            ),
            models.UniqueConstraint(
                fields=["obligation", "step", "overdue_since"], condition=Q(action__isnull=True), name="escalation_obligation_once"
            ),
        ]
        indexes = [
            models.Index(fields=["step", "resolved_at"], name="escalation_step_open"),
            # The overdue pass finds the steps it took by its stamp: to record them in the change log
            # and to queue a message for each that has someone to tell (issues 7 and 12).
            models.Index(fields=["created_at"], name="escalation_created"),
            models.Index(fields=["board"], condition=Q(board__isnull=False), name="escalation_board"),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} ({self.target_type}, overdue since {self.overdue_since})"


class OutboxMessage(models.Model):
    """Transactional outbox: follow-up work (e-mails, webhooks) written in the same transaction as
    the change that causes it, delivered by a worker once the broker is reachable. ``dedupe_key``
    makes a message impossible to queue twice; ``sent_at`` impossible to send twice."""

    kind = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["available_at"], condition=Q(sent_at__isnull=True), name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key}"


class JobRun(models.Model):
    """A run of a background job (overdue pass, digests, report build) for the admin and /health/."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Succeeded"
        FAILURE = "failure", "Failed"

    name = models.CharField(max_length=60, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["name", "outcome", "-started_at"], name="jobrun_latest")]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


def report_upload_to(instance: Report, filename: str) -> str:
    return f"reports/{instance.meeting_id}/{filename}"


class Report(models.Model):
    """A built paper for a meeting: the Leaders' Committee report or a board's outstanding-actions
    paper. Each build is kept with its date, so past papers stay as they were."""

    class Kind(models.TextChoices):
        LEADERS_COMMITTEE = "leaders_committee", "Leaders' Committee report"
        BOARD_PAPER = "board_paper", "Board outstanding-actions paper"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be built"
        BUILDING = "building", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    title = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateField(null=True, blank=True, help_text="The London day the figures are taken on.")
    html = models.TextField(blank=True)
    pdf = models.FileField(upload_to=report_upload_to, blank=True)
    docx = models.FileField(upload_to=report_upload_to, blank=True, help_text="The paper as an editable Word document.")
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} for {self.meeting}"


class Change(models.Model):
    """The sync feed (``/api/v1/changes/``): one row per create, update or delete of a resource.

    ``txid`` is the PostgreSQL transaction id that wrote the row (0 on SQLite, where writers are
    serialised). The feed orders by (txid, id) and only serves rows whose transaction is older than
    every transaction still running, so a late-committing writer can never slip in behind a
    partner's cursor: see :mod:`commitments.changes`.
    """

    class Op(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    class Event(models.TextChoices):
        NONE = "", "Changed"
        OVERDUE = "overdue", "First flagged overdue"
        ESCALATED_1 = "escalated-1", "Escalation step 1 taken"
        ESCALATED_2 = "escalated-2", "Escalation step 2 taken"
        ESCALATED_3 = "escalated-3", "Escalation step 3 taken"
        PUBLISHED = "published", "Paper published"
        CLOSED = "closed", "Period closed"

    txid = models.BigIntegerField(db_default=0)
    resource = models.CharField(max_length=20)
    key = models.CharField(max_length=100, help_text="The resource's key in API URLs (ref, code, slug or id).")
    object_id = models.BigIntegerField()
    op = models.CharField(max_length=6, choices=Op.choices)
    version = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # Why, when a change means more than "updated" (issue 14): the webhooks' event types are read
    # from it. Written by the one history writer with the change itself.
    event = models.CharField(max_length=16, choices=Event.choices, blank=True, db_default="", default="")

    class Meta:
        ordering = ["txid", "id"]
        indexes = [models.Index(fields=["txid", "id"], name="change_cursor")]

    def __str__(self) -> str:
        return f"{self.op} {self.resource} {self.key}"
