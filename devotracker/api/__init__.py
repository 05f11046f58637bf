"""The API machinery every app's API shares (DESIGN.md §6), as NetBox keeps ``netbox/api/``:
authentication, permissions, throttling, pagination, renderers and negotiation, the error shape,
conditional requests, the CSV export, ordering, the OpenAPI schema's shared parts and the docs page,
and the router (:mod:`devotracker.api.urls`) that mounts each app's routes.

Domain apps import this package; it imports no domain app (import-linter checks it). What it
needs from the domain is named in settings (``API_TOKEN_MODEL``, ``API_DATA_HEAD``) and resolved
when first used. Only :mod:`devotracker.api.urls` imports the apps, to mount their routes.
"""
