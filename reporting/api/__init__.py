"""The reporting app's collections in ``/api/v1/``: reporting periods (issue 13)."""
