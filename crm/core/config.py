"""Settings: the database URL, demo mode and the cookie key.

Read from the environment first, then from ``.streamlit/secrets.toml``.
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from crm.core.i18n import _, number
from db.engine import DEFAULT_URL, ROOT

DEMO_COOKIE_KEY = "crm-demo-cookie-key-not-secret-demo-only"
KNOWN_WEAK_KEYS = {DEMO_COOKIE_KEY, "some_key", "changeme", "secret", "random_signature_key", ""}
MIN_COOKIE_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The portal cannot start with this configuration; the message says how to fix it."""


@lru_cache(maxsize=1)
def _secrets() -> dict[str, Any]:
    path = Path(os.environ.get("CRM_SECRETS_FILE", ROOT / ".streamlit" / "secrets.toml"))
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def setting(name: str) -> str | None:
    value = os.environ.get(name)
    if value:
        return value
    secret = _secrets().get(name)
    return str(secret) if secret else None


def database_url() -> str:
    return setting("DATABASE_URL") or DEFAULT_URL


def demo_mode() -> bool:
    """Demo mode: on with the embedded default database, or when CRM_DEMO=1."""
    if setting("CRM_DEMO") in {"1", "true", "yes", "on"}:
        return True
    return setting("DATABASE_URL") is None


def cookie_key() -> str:
    """The key that signs login cookies; refuses known or short keys outside demo mode."""
    key = setting("CRM_COOKIE_KEY")
    if demo_mode():
        return key or DEMO_COOKIE_KEY
    if not key or key in KNOWN_WEAK_KEYS or len(key) < MIN_COOKIE_KEY_LENGTH:
        raise ConfigError(
            _("The sign-in cookie key is missing or too weak. Set {variable} (at least {n} random characters, "
              "e.g. from `{command}`) in the environment or in {file}, then restart the portal.").format(
                variable="CRM_COOKIE_KEY", n=number(MIN_COOKIE_KEY_LENGTH),
                command='python -c "import secrets; print(secrets.token_urlsafe(48))"',
                file=".streamlit/secrets.toml")
        )
    return key


def webhook_sender_in_server() -> bool:
    """Whether each portal server sends webhook deliveries itself (default); CRM_WEBHOOK_SENDER=off leaves it
    to ``python -m crm webhooks send`` on a timer."""
    return (setting("CRM_WEBHOOK_SENDER") or "on").strip().lower() not in {"0", "off", "false", "no"}


def reset() -> None:
    """Forget cached settings (tests change the environment)."""
    _secrets.cache_clear()
