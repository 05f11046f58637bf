"""The ordering filter (devotracker.filters.OrderingFilter): one declaration of a list's sort keys
on its FilterSet, read by the API's ``?ordering=`` and by the list page's ``?sort=`` columns."""

from __future__ import annotations

from typing import Any

import pytest

from commitments.filtersets import RAG_ORDER, SHOWN_RAG_ORDER, ActionFilterSet, CommitmentFilterSet, ObligationFilterSet
from commitments.models import Commitment

from ..conftest import token_client

pytestmark = pytest.mark.django_db


def _order_by(filterset: Any) -> tuple[Any, ...]:
    return tuple(str(term) for term in filterset.qs.query.order_by)


def test_the_api_keys_apply_their_terms_then_the_primary_key(commitment: Any) -> None:
    queryset = Commitment.objects.for_api()
    assert _order_by(CommitmentFilterSet({"ordering": "-due_date,ref"}, queryset=queryset)) == ("-target_date", "ref", "pk")
    assert _order_by(CommitmentFilterSet({}, queryset=queryset)) == ("theme__order", "ref", "pk")


@pytest.mark.parametrize("value", ["", "ref,", "ref, title", "nope", "-", "due"])
def test_anything_but_the_keys_is_a_field_error_naming_the_choices(value: str, commitment: Any) -> None:
    filterset = CommitmentFilterSet({"ordering": value}, queryset=Commitment.objects.all())
    assert not filterset.is_valid()
    [message] = filterset.errors["ordering"]
    assert message.startswith("Cannot sort by ") and "Choose from: due_date, progress, rag, ref" in message


def test_the_pages_columns_come_from_the_same_declaration() -> None:
    assert CommitmentFilterSet.base_filters["ordering"].page_sorts() == {
        "ref": ("Ref", ["ref"]),
        "title": ("Title", ["title", "ref"]),
        "theme": ("Theme", ["theme__order", "ref"]),
        "due": ("Due", ["target_date", "ref"]),
        "status": ("Status", ["shown_status_db", "ref"]),
        "rag": ("RAG", [SHOWN_RAG_ORDER, "ref"]),
        "updated": ("Updated", ["updated_at", "ref"]),
    }
    obligations = ObligationFilterSet.base_filters["ordering"].page_sorts()
    assert list(obligations) == ["commitment", "party", "due", "status", "rag", "updated"]
    assert obligations["party"] == ("Party", ["party__name", "commitment__ref", "id"])
    assert obligations["rag"] == ("RAG", [RAG_ORDER, "id"])
    actions = ActionFilterSet.base_filters["ordering"].page_sorts()
    assert actions["commitment"] == ("Commitment", ["obligation__commitment__ref", "due_date", "id"])
    # A page-only column is not an API key.
    assert "commitment" not in ActionFilterSet.base_filters["ordering"].api_names


@pytest.mark.django_db
def test_an_unknown_sort_key_with_a_percent_sign_is_a_400_not_a_500(write_token: str) -> None:
    response = token_client(write_token).get("/api/v1/agreements/?ordering=%25s%25d,x")
    assert response.status_code == 400
    assert "Cannot sort by '%s%d', 'x'" in response.json()["errors"]["ordering"][0]
