"""Fixtures for the look-and-feel, accounts and public pages tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

APP_CSS = Path(settings.BASE_DIR) / "static" / "build" / "app.css"


@pytest.fixture(scope="session")
def compiled_css() -> str:
    """The compiled stylesheet's text; fails (never skips) when it has not been built."""
    if not APP_CSS.exists():
        pytest.fail(
            f"{APP_CSS} is missing: the stylesheet is compiled from GOV.UK Frontend's Sass. "
            "Run `npm ci && npm run build` in the repository root first.",
            pytrace=False,
        )
    return APP_CSS.read_text()


@pytest.fixture
def stub_pages(settings: Any) -> None:
    """Serve the real home, account and footer views beside stand-ins for the pages other parts
    of the service provide (dashboard, My work, commitments…), so home-page and navigation
    behaviour is tested on its own."""
    settings.ROOT_URLCONF = "tests.devotracker.stub_urls"
