"""The reporting pages' forms: opening a reporting period (issue 13)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from boards.models import Board
from commitments.forms import GovukDateField, ServiceErrorsForm

from .models import LEADERS_COMMITTEE_CODE, ReportingPeriod


class PeriodForm(ServiceErrorsForm):
    """A new reporting period: whose cycle, what it is called, and its first and last days. The
    service (:func:`reporting.periods.open_period`) checks names and overlaps again."""

    board = forms.ModelChoiceField(
        label="Board",
        queryset=Board.objects.none(),
        empty_label=None,
        help_text="Whose meeting cycle the period follows.",
        error_messages={"invalid_choice": "Select a board from the list", "required": "Select a board"},
    )
    name = forms.CharField(
        label="Name",
        max_length=ReportingPeriod._meta.get_field("name").max_length,
        help_text="For example, Leaders' Committee, March 2027.",
        error_messages={"required": "Enter a name for the period", "max_length": "Name must be %(limit_value)d characters or fewer"},
    )
    starts_on = GovukDateField(label="First day", required_message="Enter the first day of the period", help_text="For example, 1 2 2027.")
    ends_on = GovukDateField(label="Last day", required_message="Enter the last day of the period", help_text="For example, 31 3 2027.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        boards = Board.objects.order_by("-is_mou_board", "name")
        board_field = cast(forms.ModelChoiceField, self.fields["board"])
        board_field.queryset = boards
        if not self.is_bound:
            self.initial.setdefault("board", boards.filter(code=LEADERS_COMMITTEE_CODE).values_list("pk", flat=True).first())
