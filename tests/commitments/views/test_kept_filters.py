"""A drill-down's hidden filters survive when the officer uses the list's filter form."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/commitments/?in_dashboards=true&overdue=true", ["in_dashboards"]),
        ("/actions/?in_dashboards=true&pilot=ncl-estates&overdue=true", ["in_dashboards", "pilot"]),
        ("/obligations/?in_dashboards=false", ["in_dashboards"]),
    ],
)
def test_hidden_filters_are_carried_by_the_form(client, viewer, path, kept):
    client.force_login(viewer)
    html = client.get(path).content.decode()
    for name in kept:
        assert f'<input type="hidden" name="{name}"' in html


def test_values_are_escaped(client, viewer):
    client.force_login(viewer)
    html = client.get('/commitments/?updated_since="><script>x</script>').content.decode()
    assert "<script>x</script>" not in html
