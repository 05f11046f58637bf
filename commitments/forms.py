"""Browser forms for the officer pages: they parse input into what the services take, and carry
the services' field errors back to the page. The rules themselves (a reason for a change of
status, RAG or date; evidence before "complete") live in :func:`commitments.services.validate_update`,
so the browser, the API and the spreadsheet import refuse the same things.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from boards.models import Membership
from devotracker.people import name_of

from .models import Obligation, Status, TrackedState
from .services import MAX_TEXT, UpdateInput

RAG_FORM_CHOICES = [("red", "Red"), ("amber", "Amber"), ("green", "Green"), ("", "Not assessed")]


def text_box(label: str, help_text: str, *, what: str) -> forms.CharField:
    """A free-text box of at most :data:`MAX_TEXT` characters, optional here (the services say when
    one is needed); ``what`` names it in the error ("The reason must be … characters or fewer")."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea,
        help_text=help_text,
        error_messages={"max_length": f"The {what} must be {MAX_TEXT} characters or fewer"},
    )


class GovukDateWidget(forms.Widget):
    """The GOV.UK date input's three boxes, posted as ``<name>-day``, ``<name>-month`` and
    ``<name>-year``. Templates draw it (components/field_date.html); this only reads the data."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, str, str]:
        return (data.get(f"{name}-day", ""), data.get(f"{name}-month", ""), data.get(f"{name}-year", ""))

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(f"{name}-{part}" in data for part in ("day", "month", "year"))


class GovukDateField(forms.Field):
    """A date typed as day, month and year, with the GOV.UK Design System's error messages
    ("… must include a month", "… must be a real date", "Year must include 4 numbers")."""

    widget = GovukDateWidget

    def __init__(self, *, required_message: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.required_message = required_message

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, dt.date):
            return value
        parts = [str(v or "").strip() for v in (value or ("", "", ""))]
        if not any(parts):
            return None
        label = self.label or "The date"
        names = ("day", "month", "year")
        missing = [name for name, part in zip(names, parts, strict=True) if not part]
        if missing:
            raise ValidationError(f"{label} must include a {' and a '.join(missing)}", code="incomplete")
        # ASCII digits only: "²" and "٣" pass str.isdigit() but int() refuses the first (a 500
        # before issue 11) and nobody means the second.
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ValidationError(f"{label} must be a real date", code="invalid")
        if len(parts[2]) != 4:
            raise ValidationError("Year must include 4 numbers", code="year")
        # A day or month of more than two digits (leading zeros aside) is no real date, and
        # dt.date() would raise OverflowError on one past a C int; int() refuses 4,300 digits.
        if any(len(part.lstrip("0")) > 2 for part in parts[:2]):
            raise ValidationError(f"{label} must be a real date", code="invalid")
        day, month, year = (int(p) for p in parts)
        try:
            return dt.date(year, month, day)
        except (ValueError, OverflowError):
            raise ValidationError(f"{label} must be a real date", code="invalid") from None

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise ValidationError(self.required_message or f"Enter {str(self.label).lower()}", code="required")


class ServiceErrorsForm(forms.Form):
    """A form whose input a service checks again: :meth:`add_service_errors` attaches a
    :class:`~commitments.services.InvalidUpdate`'s per-field errors to the form's fields, and errors
    about fields the form does not have (``__all__``, or names the form spells otherwise, see
    ``service_field_aliases``) to the whole form, where the error summary shows them."""

    service_field_aliases: dict[str, str] = {}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field: str | None = self.service_field_aliases.get(name, name)
            if field not in self.fields:
                field = None
            for message in messages:
                self.add_error(field, message.rstrip("."))


class UpdateForm(ServiceErrorsForm):
    """An update of an obligation's (or a commitment's assessed) state.

    ``version`` is the version the page was rendered from; the ``seen_*`` fields are the values the
    writer saw, so a version conflict can show "you saw … / it is now …" side by side.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    seen_status = forms.CharField(widget=forms.HiddenInput, required=False)
    seen_rag = forms.CharField(widget=forms.HiddenInput, required=False)
    seen_progress = forms.CharField(widget=forms.HiddenInput, required=False)
    seen_due_date = forms.CharField(widget=forms.HiddenInput, required=False)

    status = forms.ChoiceField(
        label="Status",
        choices=Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a status", "invalid_choice": "Select a status from the list"},
    )
    rag = forms.ChoiceField(
        label="RAG rating",
        choices=RAG_FORM_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text="Red: at risk and needs help; amber: some risk; green: on track.",
        error_messages={"invalid_choice": "Select a RAG rating from the list"},
    )
    progress = forms.IntegerField(
        label="Progress",
        required=False,
        min_value=0,
        max_value=100,
        help_text="A whole number from 0 to 100.",
        error_messages={
            "invalid": "Progress must be a whole number from 0 to 100",
            "min_value": "Progress must be 0 or more",
            "max_value": "Progress must be 100 or less",
        },
    )
    revised_due_date = GovukDateField(
        label="Revised due date",
        required=False,
        help_text="Only if the date changes. For example, 31 3 2026.",
    )
    reason = text_box("Reason for the change", "Needed when you change the status, the RAG rating or the date.", what="reason")
    note = text_box("Note", "What has happened since the last update.", what="note")
    evidence = forms.CharField(
        label="Evidence",
        required=False,
        widget=forms.Textarea,
        help_text="One link or description per line, for example a link to board minutes, or where the paper is filed. "
        "Needed to mark something complete.",
    )

    replace_pending = forms.BooleanField(
        label="Replace the update awaiting approval with mine",
        required=False,
        help_text="The update awaiting approval is set aside (it stays in the record as replaced) and yours takes its place.",
    )

    due_label = "Revised due date"
    status_hint = "Complete needs evidence below; it sets progress to 100%."

    def __init__(self, *args: Any, target: TrackedState | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        self.fields["revised_due_date"].label = self.due_label
        self.fields["status"].help_text = self.status_hint

    @classmethod
    def initial_for(cls, target: TrackedState, due: dt.date | None) -> dict[str, Any]:
        """The form's starting values: the target's current state and version."""
        return {
            "version": target.version,
            "seen_status": target.status,
            "seen_rag": target.rag,
            "seen_progress": str(target.progress),
            "seen_due_date": due.isoformat() if due else "",
            "status": target.status,
            "rag": target.rag,
            "progress": target.progress,
        }

    def to_update_input(self) -> UpdateInput:
        """The cleaned form as the services' input (``None`` = leave as it is)."""
        data = self.cleaned_data
        return UpdateInput(
            status=data.get("status") or None,
            # A form posted without the RAG radios (not ours) leaves the rating alone rather than
            # clearing it; "Not assessed" is posted as an empty value and does clear it.
            rag=(data.get("rag") or "") if "rag" in self.data else None,
            progress=data.get("progress"),
            revised_due_date=data.get("revised_due_date"),
            reason=data.get("reason", ""),
            note=data.get("note", ""),
            evidence=[line.strip() for line in (data.get("evidence") or "").splitlines() if line.strip()],
        )

    # The service calls the revised date ``due_date``.
    service_field_aliases = {"due_date": "revised_due_date"}


class CommitmentUpdateForm(UpdateForm):
    """The lead board's secretariat's assessment of a whole commitment."""

    due_label = "Revised target date"


class ActionUpdateForm(UpdateForm):
    """An update of an action. The status radios are the one way to mark it complete (issue 11):
    choosing Complete sets progress to 100% and records the day it was completed
    (:func:`commitments.services.record_update`), as the API and the import do."""

    status_hint = "Complete needs evidence below; it sets progress to 100% and records today as the day the action was completed."


class OfficerChoiceField(forms.ModelChoiceField):
    """A user chosen by name (the username when no name is recorded)."""

    def label_from_instance(self, obj: Any) -> str:
        return name_of(obj)


class AddActionForm(ServiceErrorsForm):
    """A new dated action under an obligation: what, who (optional, an officer of the party) and when."""

    description = forms.CharField(
        label="Describe the action",
        max_length=MAX_TEXT,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter a description of the action",
            "max_length": f"The description must be {MAX_TEXT} characters or fewer",
        },
    )
    owner = OfficerChoiceField(
        label="Owner (optional)",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="No owner yet",
        help_text="An officer of the organisation that owes this.",
        error_messages={"invalid_choice": "Select an owner from the list"},
    )
    due_date = GovukDateField(label="Due date", required_message="Enter the due date", help_text="For example, 31 3 2026.")

    def __init__(self, *args: Any, obligation: Obligation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field: forms.ModelChoiceField = self.fields["owner"]  # type: ignore[assignment]
        owner_field.queryset = (
            get_user_model()
            .objects.filter(is_active=True, memberships__party_id=obligation.party_id, memberships__role=Membership.Role.OFFICER)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class ImportUploadForm(forms.Form):
    """Step 1 of the spreadsheet import: the file. Its type and size are checked by
    :func:`commitments.imports.read_sheet`, which also reads it."""

    file = forms.FileField(
        label="Spreadsheet of action updates",
        help_text="A CSV file or an Excel workbook (.xlsx), with a header row. See the format below.",
        error_messages={"required": "Select a CSV or Excel (.xlsx) file", "empty": "The selected file is empty"},
    )


class ImportConfirmForm(forms.Form):
    """Step 2: confirm the previewed upload, identified by the token the preview stored."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)


class AddDependencyForm(ServiceErrorsForm):
    """A secretariat's new dependency (issue 15): which item of the commitment waits (the
    commitment or one of its actions) and what it waits on (a commitment's ref or an action's
    number). :func:`commitments.dependencies.add_dependency` checks the rest (itself, a duplicate,
    a cycle)."""

    service_field_aliases = {"prerequisite": "prerequisite_commitment"}

    waiting = forms.ChoiceField(
        label="What waits",
        error_messages={"required": "Select what waits", "invalid_choice": "Select what waits from the list"},
    )
    prerequisite_commitment = forms.CharField(
        label="The commitment it waits on",
        required=False,
        max_length=12,
        help_text="Its reference, for example EST-03. Or give an action's number below instead.",
        error_messages={"max_length": "A commitment reference is 12 characters or fewer, for example EST-03"},
    )
    prerequisite_action = forms.CharField(
        label="Or the action it waits on",
        required=False,
        max_length=12,
        help_text="The action's number, shown beside it on its commitment's page as “Action 42”.",
        error_messages={"max_length": "An action number is a whole number, for example 42"},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["waiting"].choices = choices  # type: ignore[attr-defined]


class DecisionForm(ServiceErrorsForm):
    """A secretariat's decision on an update awaiting approval: approve (a comment optional) or
    return (a comment required, checked by :func:`commitments.services.return_update`)."""

    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve and publish it"), ("return", "Return it to the officer")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to approve or return the update", "invalid_choice": "Select approve or return"},
    )
    comment = text_box(
        "Comment", "Needed when you return it: say what the officer should change. The officer is e-mailed it.", what="comment"
    )


class AssuranceForm(ServiceErrorsForm):
    """The assurance rating of a commitment or an obligation (issue 15): the rating ("Not assessed"
    clears it) and why, with the version the page was rendered from. The rules (a reason; a rating
    different from the current one) are :func:`commitments.assurance.record_assurance`'s."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    rag = forms.ChoiceField(
        label="Assurance rating",
        choices=RAG_FORM_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text="Your independent view. Red: at risk and needs help; amber: some risk; green: on track. Not assessed clears it.",
        error_messages={"invalid_choice": "Select an assurance rating from the list"},
    )
    reason = text_box("Reason", "Why you give this rating: it is shown beside it, in the history and in papers.", what="reason")


class _AssignmentForm(ServiceErrorsForm):
    """An assignment (issue 16): the choice, why, and the version the page was rendered from. The
    rules are :mod:`commitments.ownership`'s; the choices offered are the ones it allows, so a value
    outside them is "Select … from the list" here and a field error there."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = text_box("Reason", "Why this assignment: it is kept in the item's history.", what="reason")


class LeadBoardForm(_AssignmentForm):
    """A commitment's lead board, from the boards the user may choose (``choices``: (code, label))."""

    field_order = ["board", "reason", "version"]

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["board"] = forms.ChoiceField(
            label="Lead board",
            choices=[("", "Choose a board"), *choices],
            required=False,
            help_text="The board whose secretariat will keep this commitment up to date and hear of its overdue items.",
            error_messages={"invalid_choice": "Select a board from the list"},
        )
        self.order_fields(self.field_order)


class OwnerForm(_AssignmentForm):
    """An obligation's or action's owner, from the owing party's active officers (``choices``:
    (username, label))."""

    field_order = ["owner", "reason", "version"]

    def __init__(self, *args: Any, choices: list[tuple[str, str]], party_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = forms.ChoiceField(
            label="Owner",
            choices=[("", "Choose an officer"), *choices],
            required=False,
            help_text=f"An active officer of {party_name}. They are told of it when it falls overdue.",
            error_messages={"invalid_choice": f"Select one of {party_name}'s officers from the list"},
        )
        self.order_fields(self.field_order)
