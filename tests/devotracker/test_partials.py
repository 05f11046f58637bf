"""The reusable template partials other pages include (templates/includes/)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.mark.parametrize(
    ("rag", "css", "shape", "word"),
    [
        ("red", "app-rag--red", "■", "Red"),
        ("amber", "app-rag--amber", "▲", "Amber"),
        ("green", "app-rag--green", "●", "Green"),
        ("", "app-rag--none", "○", "Not assessed"),
        (None, "app-rag--none", "○", "Not assessed"),
    ],
)
def test_rag_tag_always_carries_the_word_and_a_hidden_shape(rag: str | None, css: str, shape: str, word: str) -> None:
    html = squash(render_to_string("includes/rag_tag.html", {"rag": rag, "prefix": "Assessed RAG:"}))
    assert f'class="app-rag {css}"' in html
    assert f'<span class="app-rag__shape" aria-hidden="true">{shape}</span>{word}' in html
    assert '<span class="govuk-visually-hidden">Assessed RAG: </span>' in html


@pytest.mark.parametrize(
    ("status", "word"),
    [("not_started", "Not started"), ("in_progress", "In progress"), ("complete", "Complete"), ("not_pursued", "Not pursued")],
)
def test_status_tag_shows_the_word(status: str, word: str) -> None:
    html = squash(render_to_string("includes/status_tag.html", {"status": status, "overdue": True}))
    assert f'<strong class="govuk-tag app-status--{status}">{word}</strong>' in html
    assert '<strong class="govuk-tag app-tag--overdue">Overdue</strong>' in html


class SampleForm(forms.Form):
    title = forms.CharField(error_messages={"required": "Enter a title"})
    due = forms.DateField(error_messages={"required": "Enter a due date"}, help_text="For example, 27 3 2027")

    def clean(self) -> dict:
        raise forms.ValidationError("Something about the whole form")


def test_error_summary_links_every_error_to_its_field() -> None:
    form = SampleForm(data={})
    form.is_valid()

    html = squash(
        render_to_string("includes/error_summary.html", {"form": form, "extra_errors": [{"href": "#row-3", "text": "Row 3: bad date"}]})
    )

    assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in html
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)
    assert links == [
        ("#id_title", "Something about the whole form"),
        ("#id_title", "Enter a title"),
        ("#id_due", "Enter a due date"),
        ("#row-3", "Row 3: bad date"),
    ]


def test_error_summary_is_empty_without_errors() -> None:
    assert squash(render_to_string("includes/error_summary.html", {"form": SampleForm()})) == ""


def test_field_input_shows_hint_error_and_keeps_the_value() -> None:
    form = SampleForm(data={"title": "", "due": "soon"})
    form.is_valid()

    html = squash(render_to_string("includes/field_input.html", {"field": form["due"], "input_class": "govuk-input--width-10"}))

    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert '<div id="id_due-hint" class="govuk-hint">For example, 27 3 2027</div>' in html
    assert (
        '<p id="id_due-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> Enter a valid date.</p>' in html
    )
    assert 'class="govuk-input govuk-input--width-10 govuk-input--error"' in html
    assert 'value="soon"' in html
    assert 'aria-describedby="id_due-hint id_due-error"' in html
    assert "required" not in html


def test_pagination_keeps_the_filters_in_every_link() -> None:
    request = RequestFactory().get("/commitments/", {"theme": "estates", "rag": "red", "page": "3"})
    page = Paginator(list(range(200)), 10).page(3)

    html = squash(render_to_string("includes/pagination.html", {"page_obj": page}, request=request))

    assert '<nav class="govuk-pagination" aria-label="Pagination">' in html
    assert 'href="?theme=estates&amp;rag=red&amp;page=2" rel="prev"' in html
    assert 'href="?theme=estates&amp;rag=red&amp;page=4" rel="next"' in html
    assert 'aria-label="Page 3" aria-current="page"' in html
    assert "govuk-pagination__item--ellipses" in html


def test_pagination_is_empty_for_a_single_page() -> None:
    request = RequestFactory().get("/commitments/")
    page = Paginator([1, 2], 10).page(1)
    assert squash(render_to_string("includes/pagination.html", {"page_obj": page}, request=request)) == ""


def test_back_link() -> None:
    assert (
        squash(render_to_string("includes/back_link.html", {"href": "/commitments/"}))
        == '<a href="/commitments/" class="govuk-back-link">Back</a>'
    )
