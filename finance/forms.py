"""Browser forms for the finance writes (issue 16). They carry what was typed to
:mod:`finance.services`, which checks every rule (amounts through :func:`finance.money.parse_pounds`,
the disposal rules, who may change which field), and carry its field errors back to the page, so
the browser, the API and the spreadsheet import refuse the same things.

Amounts are typed as pounds ("1200.50"), and shown so when the form opens.
"""

from __future__ import annotations

from typing import Any

from django import forms

from boards.models import Board, Party
from commitments.forms import GovukDateField, ServiceErrorsForm, text_box
from commitments.services import MAX_TEXT
from pilots.models import Borough, Pilot, SubRegion

from .models import QUARTERS, CapitalBudget, Disposal, FundingLine, FundingStream
from .money import pounds_text

AMOUNT_HINT = "In pounds, for example 1200.50: digits only, no £ sign or commas."


def _amount(label: str, hint: str = AMOUNT_HINT) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=40, help_text=hint, strip=False)


def _text(label: str, *, hint: str = "", max_length: int = MAX_TEXT, area: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=max_length, help_text=hint, widget=forms.Textarea if area else forms.TextInput
    )


def _choices(model: Any, key: str, *, blank: str, order: str = "name") -> list[tuple[str, str]]:
    label = "name"
    rows = [(str(k), str(n)) for k, n in model.objects.order_by(order).values_list(key, label)]
    return [("", blank), *rows]


class FinanceForm(ServiceErrorsForm):
    """A finance record's form: ``fields_for(user, record)`` decides which fields are shown (an
    officer sees only what they may change); :meth:`service_data` gives the service what was typed."""

    reason = text_box("Reason for the change", "Required. Kept in the record's history.", what="reason")
    # Service field names the form spells otherwise.
    service_field_aliases = {"version": "__all__"}

    def __init__(self, *args: Any, shown: frozenset[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if shown is not None:
            for name in list(self.fields):
                if name not in shown and name not in ("reason", "version"):
                    del self.fields[name]

    def offer(self, choices: dict[str, list[tuple[str, str]]]) -> None:
        """Give each shown field of ``choices`` its options."""
        for name, options in choices.items():
            if name in self.fields:
                self.fields[name].choices = options  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(record: Any) -> dict[str, Any]:
        """The form's initial values for changing ``record`` (each form says its own)."""
        raise NotImplementedError

    def service_data(self) -> dict[str, Any]:
        data = {name: value for name, value in self.cleaned_data.items() if name not in ("reason", "version")}
        if "commitments" in data:
            data["commitments"] = data["commitments"] or []
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        super().add_service_errors({self.alias(name): messages for name, messages in errors.items()})

    def alias(self, name: str) -> str:
        return name


class StreamForm(FinanceForm):
    slug = forms.CharField(
        label="Short name for addresses (slug)", required=False, max_length=80, help_text="Lower-case letters, digits and hyphens."
    )
    name = _text("Name", max_length=200)
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Choose a kind"), *FundingStream.Kind.choices])
    description = _text("Description", area=True)
    allocation = _amount("Allocation", "The whole allocation in pounds, for example 120000000.00; leave empty if no source gives one.")
    allocation_source = _text("Where the allocation's figure comes from", area=True)
    keeper = forms.ChoiceField(label="Kept by", required=False)
    commitments = _text("Commitments it funds", hint="Commitment refs separated by commas, for example COM-08.", max_length=1500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "keeper" in self.fields:
            self.fields["keeper"].choices = _choices(Board, "code", blank="No board")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(stream: FundingStream) -> dict[str, Any]:
        return {
            "version": stream.version,
            "name": stream.name,
            "kind": stream.kind,
            "description": stream.description,
            "allocation": pounds_text(stream.allocation_pence),
            "allocation_source": stream.allocation_source,
            "keeper": stream.keeper.code if stream.keeper else "",
            "commitments": ", ".join(c.ref for c in stream.commitments.order_by("ref")),
        }


class LineForm(FinanceForm):
    stream = forms.ChoiceField(label="Funding stream", required=False)
    description = _text("Description", max_length=300)
    party = forms.ChoiceField(label="Party", required=False)
    pilot = forms.ChoiceField(label="Pilot", required=False)
    sub_region = forms.ChoiceField(label="Sub-region", required=False)
    financial_year = forms.CharField(
        label="Financial year", required=False, max_length=10, help_text="The year it starts in: 2018 for 2018/19."
    )
    quarter = forms.ChoiceField(
        label="Quarter", required=False, choices=[("", "The whole year"), *((str(n), label) for n, label in QUARTERS)]
    )
    allocated = _amount("Allocated")
    committed = _amount("Committed")
    spent = _amount("Spent")
    commitments = _text("Commitments it funds", hint="Commitment refs separated by commas, for example COM-08.", max_length=1500)

    def __init__(self, *args: Any, streams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = {
            "stream": [
                ("", "Choose a stream"),
                *((s.slug, s.name) for s in (streams if streams is not None else FundingStream.objects.all())),
            ],
            "party": _choices(Party, "slug", blank="No party"),
            "pilot": _choices(Pilot, "slug", blank="No pilot"),
            "sub_region": _choices(SubRegion, "slug", blank="London-wide (no sub-region)"),
        }
        self.offer(choices)

    @staticmethod
    def initial_for(line: FundingLine) -> dict[str, Any]:
        return {
            "version": line.version,
            "description": line.description,
            "party": line.party.slug if line.party else "",
            "pilot": line.pilot.slug if line.pilot else "",
            "sub_region": line.sub_region.slug if line.sub_region else "",
            "financial_year": str(line.financial_year),
            "quarter": str(line.quarter or ""),
            "allocated": pounds_text(line.allocated_pence),
            "committed": pounds_text(line.committed_pence),
            "spent": pounds_text(line.spent_pence),
            "commitments": ", ".join(c.ref for c in line.commitments.order_by("ref")),
        }


class BudgetForm(FinanceForm):
    financial_year = forms.CharField(
        label="Financial year", required=False, max_length=10, help_text="The year it starts in: 2018 for 2018/19."
    )
    amount = _amount("Capital budget")
    retained_receipts = _amount("Retained receipts profiled for this year")
    notes = _text("Notes", area=True)
    q1_planned = _amount("Q1 (April to June): profiled", "")
    q1_spent = _amount("Q1: spent", "")
    q2_planned = _amount("Q2 (July to September): profiled", "")
    q2_spent = _amount("Q2: spent", "")
    q3_planned = _amount("Q3 (October to December): profiled", "")
    q3_spent = _amount("Q3: spent", "")
    q4_planned = _amount("Q4 (January to March): profiled", "")
    q4_spent = _amount("Q4: spent", "")

    QUARTER_FIELDS = [f"q{n}_{k}" for n in range(1, 5) for k in ("planned", "spent")]

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        quarters = {f: data.pop(f, "") for f in self.QUARTER_FIELDS}
        if any(v.strip() for v in quarters.values()):
            data["quarters"] = {n: {k: quarters[f"q{n}_{k}"] or "0" for k in ("planned", "spent")} for n in range(1, 5)}
        return data

    def alias(self, name: str) -> str:
        # quarters.<index>.<planned|spent>, the index in Q1..Q4 order (service_data sends all four).
        parts = name.split(".")
        if parts[0] == "quarters" and len(parts) == 3 and parts[1].isdigit():
            return f"q{int(parts[1]) + 1}_{parts[2]}"
        return name

    @staticmethod
    def initial_for(budget: CapitalBudget) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": budget.version,
            "amount": pounds_text(budget.amount_pence),
            "retained_receipts": pounds_text(budget.retained_receipts_pence),
            "notes": budget.notes,
        }
        for q in budget.quarters.all():
            initial[f"q{q.quarter}_planned"] = pounds_text(q.planned_pence)
            initial[f"q{q.quarter}_spent"] = pounds_text(q.spent_pence)
        return initial


class DisposalForm(FinanceForm):
    site = _text("Site", max_length=200)
    borough = forms.ChoiceField(label="Borough", required=False)
    sub_region = forms.ChoiceField(
        label="Sub-region", required=False, help_text="The borough's own: leave it to be taken from the borough."
    )
    owner = forms.ChoiceField(label="Owner", required=False, help_text="The NHS body that owns the site.")
    status = forms.ChoiceField(label="Status", required=False, choices=Disposal.Status.choices)
    expected_receipt = _amount("Expected receipt")
    actual_receipt = _amount("Actual receipt", "Only once the disposal is completed. " + AMOUNT_HINT)
    retained_share_percent = forms.CharField(
        label="Share of the receipt retained in London", required=False, max_length=10, help_text="A whole number from 0 to 100."
    )
    recommendation = _text("Recommendation on the use of the receipt", area=True)
    recommended_by = forms.ChoiceField(label="Recommended by", required=False)
    recommended_on = GovukDateField(label="Date of the recommendation", required=False)
    decision = _text("Decision", area=True)
    decided_on = GovukDateField(label="Date of the decision", required=False)
    completed_on = GovukDateField(label="Completion date", required=False, help_text="Taken as today when completed without one.")
    commitments = _text("Commitments it serves", hint="Commitment refs separated by commas.", max_length=1500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = {
            "borough": _choices(Borough, "slug", blank="Choose a borough"),
            "sub_region": _choices(SubRegion, "slug", blank="The borough's sub-region"),
            "owner": _choices(Party, "slug", blank="Choose the owner"),
            "recommended_by": _choices(Board, "code", blank="No recommendation yet"),
        }
        self.offer(choices)

    @staticmethod
    def initial_for(disposal: Disposal) -> dict[str, Any]:
        return {
            "version": disposal.version,
            "site": disposal.site,
            "borough": disposal.borough.slug,
            "sub_region": disposal.sub_region.slug,
            "owner": disposal.owner.slug,
            "status": disposal.status,
            "expected_receipt": pounds_text(disposal.expected_receipt_pence),
            "actual_receipt": pounds_text(disposal.actual_receipt_pence),
            "retained_share_percent": "" if disposal.retained_share_percent is None else str(disposal.retained_share_percent),
            "recommendation": disposal.recommendation,
            "recommended_by": disposal.recommended_by.code if disposal.recommended_by else "",
            "recommended_on": disposal.recommended_on,
            "decision": disposal.decision,
            "decided_on": disposal.decided_on,
            "completed_on": disposal.completed_on,
            "commitments": ", ".join(c.ref for c in disposal.commitments.order_by("ref")),
        }


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput


def with_version(form_class: type[FinanceForm]) -> type[FinanceForm]:
    """The form for changing a record: the version the page was rendered from, hidden."""
    return type(f"{form_class.__name__}Change", (form_class,), {"version": VersionField(min_value=1)})
