"""Money and estates in the permission matrix (issue 16): the world's finance records, how each
finance operation of the matrix is sent, and what is reset between roles.

The world: a stream (``matrix-fund``) kept by the SPB (the matrix's secretary), a line of it owed
to party A (officer A and the partner's write token act for party A), the 2018/19 capital budget,
and a disposal in Hackney owned by party A. The London Estates Board has no member among the
roles, so capital budgets and disposals are the administrator's to keep here; party A's officer
updates the disposal's amounts and status.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from typing import Any

from finance.forms import BudgetForm, DisposalForm, LineForm, StreamForm
from finance.models import CapitalBudget, Disposal, FundingLine, FundingStream

from ..factories import SubRegionFactory

_COUNTER = itertools.count(1)


def finance_world(world: Any) -> None:
    """Add the finance records to the matrix's world."""
    sub_region = SubRegionFactory(slug="north-east-london", name="North East London")
    SubRegionFactory(slug="south-west-london", name="South West London")
    world.borough.sub_region = sub_region
    world.borough.save()
    party_a = world.obligation.party
    world.stream = FundingStream.objects.create(slug="matrix-fund", name="Matrix fund", kind="transformation", keeper=world.board)
    world.line = FundingLine.objects.create(
        stream=world.stream,
        description="Party A's line",
        party=party_a,
        financial_year=2018,
        allocated_pence=100_000,
        committed_pence=50_000,
        spent_pence=10_000,
    )
    world.budget = CapitalBudget.objects.create(financial_year=2018, amount_pence=1_000_000)
    world.disposal = Disposal.objects.create(
        site="Matrix hospital", borough=world.borough, sub_region=sub_region, owner=party_a, expected_receipt_pence=500_000
    )


def finance_prepare(operation: str, world: Any) -> None:
    """Put back what an earlier role's write changed that the next role's must change again."""
    if "(its party)" in operation:
        FundingLine.objects.filter(pk=world.line.pk).update(party=world.obligation.party)


def _amount() -> str:
    return f"{1000 + next(_COUNTER)}.50"


def _csv(world: Any) -> bytes:
    line = FundingLine.objects.get(pk=world.line.pk)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line_id", "version", "spent", "reason"])
    writer.writerow([line.pk, line.version, _amount(), "Imported by the matrix."])
    return out.getvalue().encode()


def _upload(client: Any, world: Any) -> Any:
    upload = io.BytesIO(_csv(world))
    upload.name = "finance.csv"
    return client.post("/finance/import/", {"file": upload})


def _form(initial: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    for name in ("recommended_on", "decided_on", "completed_on"):
        value = data.pop(name, "")
        for part, text in zip(("day", "month", "year"), (value.day, value.month, value.year) if value else ("", "", ""), strict=True):
            data[f"{name}-{part}"] = str(text)
    return {**data, **changes, "reason": "Changed by the matrix."}


def finance_perform(operation: str, method: str, path: str, client: Any, world: Any) -> Any:
    """Send one finance write of the matrix as the role's client would."""
    n = next(_COUNTER)
    line = FundingLine.objects.get(pk=world.line.pk)
    disposal = Disposal.objects.get(pk=world.disposal.pk)
    if path == "/finance/import/confirm/":
        preview = _upload(client, world)
        if preview.status_code != 200:
            return preview
        token = re.search(rb'name="token" value="([^"]+)"', preview.content)
        return client.post(path, {"token": token.group(1).decode() if token else "no-preview"})
    if path == "/finance/import/":
        return _upload(client, world)
    if path == "/finance/streams/add/":
        return client.post(path, {"slug": f"matrix-{n}", "name": f"Matrix {n}", "kind": "other", "keeper": "SPB", "reason": "New."})
    if path.startswith("/finance/streams/"):
        stream = FundingStream.objects.get(pk=world.stream.pk)
        return client.post(path, _form(StreamForm.initial_for(stream), name=f"Matrix fund {n}"))
    if path == "/finance/lines/add/":
        body = {
            "stream": "matrix-fund",
            "description": f"Line {n}",
            "financial_year": "2019",
            "allocated": "1",
            "committed": "0",
            "spent": "0",
        }
        return client.post(path, {**body, "reason": "New."})
    if path.startswith("/finance/lines/"):
        return client.post(path, _form(LineForm.initial_for(line), spent=_amount()))
    if path == "/finance/budgets/add/":
        return client.post(path, {"financial_year": str(2030 + n % 60), "amount": "100", "reason": "New."})
    if path.startswith("/finance/budgets/"):
        return client.post(path, _form(BudgetForm.initial_for(CapitalBudget.objects.get(pk=world.budget.pk)), amount=_amount()))
    if path == "/finance/disposals/add/":
        sub_region = "south-west-london" if "(a sub-region" in operation else ""
        return client.post(
            path,
            {
                "site": f"Site {n}",
                "borough": "hackney",
                "owner": "party-a",
                "status": "proposed",
                "sub_region": sub_region,
                "reason": "New.",
            },
        )
    if path.startswith("/finance/disposals/"):
        if "(a receipt" in operation:
            return client.post(path, _form(DisposalForm.initial_for(disposal), actual_receipt="10.00"))
        return client.post(path, _form(DisposalForm.initial_for(disposal), expected_receipt=_amount()))
    # The API.
    if method == "POST" and path == "/api/v1/funding-streams/":
        body: dict[str, Any] = {"slug": f"matrix-{n}", "name": f"Matrix {n}", "kind": "other", "keeper": "SPB"}
    elif method == "POST" and path == "/api/v1/funding-lines/":
        body = {
            "stream": "matrix-fund",
            "description": f"Line {n}",
            "financial_year": 2019,
            "allocated": "1",
            "committed": "0",
            "spent": "0",
        }
    elif method == "POST" and path == "/api/v1/capital-budgets/":
        body = {"financial_year": 2030 + n % 60, "amount": "100"}
    elif method == "POST" and path == "/api/v1/disposals/":
        body = {"site": f"Site {n}", "borough": "hackney", "owner": "party-a"}
        if "(a sub-region" in operation:
            body["sub_region"] = "south-west-london"
    elif path.startswith("/api/v1/funding-streams/"):
        body = {"name": f"Matrix fund {n}", "version": FundingStream.objects.get(pk=world.stream.pk).version}
    elif path.startswith("/api/v1/funding-lines/"):
        body = {"party": "party-b"} if "(its party)" in operation else {"spent": _amount()}
        body["version"] = line.version
    elif path.startswith("/api/v1/capital-budgets/"):
        body = {"amount": _amount(), "version": CapitalBudget.objects.get(pk=world.budget.pk).version}
    elif "(a receipt" in operation:
        body = {"actual_receipt": "10.00", "version": disposal.version}
    elif "(its decision)" in operation:
        body = {"decision": f"Decided by the matrix ({n}).", "version": disposal.version}
    else:
        body = {"expected_receipt": _amount(), "version": disposal.version}
    body["reason"] = "Changed by the matrix."
    return client.generic(method, path, json.dumps(body), content_type="application/json")
