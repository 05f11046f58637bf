"""Signing secrets: made, shown once, kept encrypted (issue 14).

A secret is a Standard Webhooks secret (``whsec_`` and 32 random bytes in base64). HMAC needs the
secret itself, so it cannot be hashed like an API key; it is stored encrypted with Fernet under a
key derived from ``SECRET_KEY``, so a database dump alone does not expose it. Keys in
``SECRET_KEY_FALLBACKS`` still decrypt, so rotating ``SECRET_KEY`` the way Django documents keeps
every subscription working; re-saving a secret encrypts it under the current key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets as random

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "whsec_"


class SecretUnreadable(Exception):
    """A stored secret none of the configured keys can decrypt."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(random.token_bytes(32)).decode()


def _fernet(key: str) -> Fernet:
    derived = hashlib.sha256(f"devotracker.webhooks.secret|{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(key) for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]])


def seal(secret: str) -> str:
    """The secret, encrypted for storage."""
    return _keys().encrypt(secret.encode()).decode()


def unseal(stored: str) -> str:
    """The secret from its stored form."""
    try:
        return _keys().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The signing secret cannot be decrypted with SECRET_KEY or its fallbacks.") from None
