"""Who owes and who oversees: parties, boards, memberships, meetings, API tokens, sign-in audit.

Nothing here imports from ``pilots`` or ``commitments``: dependencies point one way
(commitments → pilots → boards).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone


class Basis(models.TextChoices):
    """How sure the source documents are of a link (the inventory's `*_basis` vocabulary)."""

    STATED = "stated", "Stated in the sources"
    INFERRED = "inferred", "Inferred (not stated in the sources)"
    NOT_STATED = "not_stated", "Not stated"


class PartyQuerySet(models.QuerySet["Party"]):
    def obligated(self) -> PartyQuerySet:
        """Parties that owe at least one obligation."""
        return self.filter(obligations__isnull=False).distinct()


class Party(models.Model):
    """An organisation that can owe something under the MoU (NHS England, the GLA, Camden…).

    Collective parties ("London partners", "national partners", "London boroughs") are kept as
    the sources name them, marked ``collective``, so they can be split later rather than guessed.
    """

    class Type(models.TextChoices):
        NATIONAL_GOVERNMENT = "national_government", "National government department"
        NHS_NATIONAL = "nhs_national", "NHS national body"
        REGULATOR = "regulator", "Regulator"
        REGIONAL_GOVERNMENT = "regional_government", "Regional government"
        LOCAL_GOVERNMENT = "local_government", "Local government"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        NHS_LOCAL = "nhs_local", "Local NHS"
        PROFESSIONAL_BODY = "professional_body", "Professional body"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=30, choices=Type.choices, default=Type.OTHER)
    collective = models.BooleanField(default=False, help_text="A group the sources never enumerate (e.g. 'national partners').")
    peripheral = models.BooleanField(default=False, help_text="Mentioned in the sources but not in connection with the MoU.")
    notes = models.TextField(blank=True)
    source = models.TextField(blank=True, help_text="Where the sources mention this party.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name


class Board(models.Model):
    """A governance body: the MoU's boards (LHB, SPB, LEB, LWB), London Councils' committees, units.

    ``reports_to`` forms the reporting chain (the SPB reports to the LHB); ``supports`` records a
    unit that serves a board (LEDU → LEB, inferred). ``code`` is the partners' key, matched
    case-insensitively.
    """

    class Kind(models.TextChoices):
        BOARD = "board", "Board"
        COMMITTEE = "committee", "Committee"
        UNIT = "unit", "Unit"
        WORKING_GROUP = "working_group", "Working group"
        MEMBER_GROUP = "member_group", "Member group"
        NETWORK = "network", "Network"

    code = models.CharField(max_length=16, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BOARD)
    role = models.TextField(blank=True)
    is_mou_board = models.BooleanField(default=False, help_text="One of the four boards the MoU sets up or relies on.")
    chair = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="chaired_boards")
    chair_basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.NOT_STATED)
    owner = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_boards")
    reports_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reporting_boards")
    reports_to_basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.NOT_STATED)
    supports = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supported_by")
    supports_basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.NOT_STATED)
    status_at_mou = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True)
    # Approval before publishing (issue 15): officers' updates to items under this board wait for
    # its secretariat's approval. Off by default; switched by the secretariat (boards.services).
    requires_approval = models.BooleanField(
        default=False, help_text="Officers' updates to items under this board wait for its secretariat's approval."
    )
    approval_changed_at = models.DateTimeField(null=True, blank=True)
    approval_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_mou_board", "name"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"), name="board_code_unique_ci", violation_error_message="A board with this code already exists."
            ),
            models.CheckConstraint(condition=~Q(reports_to=models.F("pk")), name="board_not_reporting_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def reporting_chain(self) -> list[Board]:
        """The boards above this one, nearest first (cycles are cut rather than followed)."""
        chain: list[Board] = []
        seen = {self.pk}
        board = self.reports_to
        while board is not None and board.pk not in seen:
            chain.append(board)
            seen.add(board.pk)
            board = board.reports_to
        return chain


class Membership(models.Model):
    """A user's role: ``officer`` of a party, or ``secretariat`` of a board (DESIGN.md §10)."""

    class Role(models.TextChoices):
        OFFICER = "officer", "Officer"
        SECRETARIAT = "secretariat", "Secretariat"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships")
    board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="officer", party__isnull=False, board__isnull=True)
                    | Q(role="secretariat", board__isnull=False, party__isnull=True)
                ),
                name="membership_role_matches_target",
                violation_error_message="An officer belongs to a party; a secretariat member belongs to a board.",
            ),
            models.UniqueConstraint(fields=["user", "party"], condition=Q(party__isnull=False), name="membership_unique_party"),
            models.UniqueConstraint(fields=["user", "board"], condition=Q(board__isnull=False), name="membership_unique_board"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.party or self.board}"


class Profile(models.Model):
    """Per-user preferences: whether to receive the e-mail digests."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    digests_enabled = models.BooleanField(default=True, help_text="Receive the daily and weekly e-mail digests.")
    job_title = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Meeting(models.Model):
    """A meeting of a board or committee; reports and board papers are built for one."""

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="meetings")
    date = models.DateField()
    date_precision = models.CharField(max_length=5, choices=[("year", "Year"), ("month", "Month"), ("day", "Day")], default="day")
    title = models.CharField(max_length=200)
    item_number = models.CharField(max_length=20, blank=True)
    report_by = models.CharField(max_length=300, blank=True)
    contact = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    key = models.SlugField(max_length=80, unique=True, null=True, blank=True, help_text="Stable key for meetings from the sources.")
    sources = models.JSONField(default=list, blank=True)
    is_demo = models.BooleanField(default=False, help_text="Illustrative data, not from the sources.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "board__code"]
        indexes = [models.Index(fields=["board", "date"])]

    def __str__(self) -> str:
        return f"{self.board.code} {self.date:%d %B %Y}: {self.title}"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A partner system's API key. Only its SHA-256 hash is stored; the key is shown once.

    ``scope`` ``read`` can only read; ``write`` can write what its user's roles allow.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}, {self.scope})"

    @classmethod
    def issue(cls, *, user: Any, scope: str = "write", name: str = "") -> tuple[ApiToken, str]:
        """Create a token and return it with its key (the only time the key is known)."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, scope=scope, name=name, prefix=key[:8], key_hash=_hash_key(key))
        return token, key

    @classmethod
    def find(cls, key: str) -> ApiToken | None:
        """The active token for a presented key, or None."""
        return cls.objects.active().select_related("user").filter(key_hash=_hash_key(key)).first()

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SignInEvent(models.Model):
    """Audit log of sign-in attempts (successful and failed) and sign-outs."""

    class Kind(models.TextChoices):
        SUCCESS = "success", "Signed in"
        FAILURE = "failure", "Failed sign-in"
        LOCKED = "locked", "Refused: locked out"
        SIGN_OUT = "sign_out", "Signed out"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["username", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.kind}"
