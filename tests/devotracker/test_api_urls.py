"""The router that mounts each app's routes (devotracker.api.urls): the root's collections and the
sync feed's links come from its registry, so a collection is named once, where its app lists it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from boards.api import urls as boards_urls
from commitments import changes
from commitments.api import urls as commitments_urls
from commitments.api.views import ChangeFeedView
from devotracker.api.urls import ROUTES, router
from finance.api import urls as finance_urls
from pilots.api import urls as pilots_urls
from reporting.api import urls as reporting_urls
from webhooks.api import urls as webhooks_urls

pytestmark = pytest.mark.django_db


def test_every_apps_routes_are_registered_once() -> None:
    declared = [
        prefix
        for app in (commitments_urls, boards_urls, pilots_urls, finance_urls, reporting_urls, webhooks_urls)
        for prefix, _viewset, _basename in app.routes
    ]
    assert [prefix for prefix, _viewset, _basename in router.registry] == declared
    assert len(set(declared)) == len(declared)


def test_the_root_lists_exactly_the_registered_collections(api: APIClient) -> None:
    body = api.get("/api/v1/").json()
    assert [name for name in body if name not in ("changes", "schema", "docs")] == list(ROUTES)
    for name, url in body.items():
        assert url.startswith("http://testserver/api/v1/"), name


def test_every_resource_of_the_change_log_has_a_collection_the_feed_links_to() -> None:
    # Every collection but the webhooks' and the updates awaiting approval: a partner's own
    # subscriptions are its configuration, and an update awaiting approval is not published (only
    # its author's organisation and the deciding secretariat may read it), so neither is the MoU's
    # data that the feed (and the webhooks themselves) follow.
    assert {name for name, _key in changes.RESOURCES.values()} == set(ROUTES) - {"webhooks", "pending-updates"}
    for name, (basename, kwarg) in ROUTES.items():
        assert reverse(f"api:{basename}-detail", kwargs={kwarg: "1"}).startswith(f"/api/v1/{name}/")
    assert ChangeFeedView(routes=ROUTES)._url(None, "boards", "SPB") == "/api/v1/boards/SPB/"
