"""The pilots app's part of the partner API (``/api/v1/parties/``, ``pilots/``, ``boroughs/``), mounted by
``devotracker.api.urls``."""
