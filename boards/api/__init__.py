"""The boards app's part of the partner API (``/api/v1/boards/``), mounted by ``devotracker.api.urls``."""
