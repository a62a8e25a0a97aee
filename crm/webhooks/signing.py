"""Webhook secrets and signatures in the Standard Webhooks form (www.standardwebhooks.com).

A secret is ``whsec_`` + base64 of random bytes; the signature of a delivery is
``v1,`` + base64(HMAC-SHA256(the secret's bytes, f"{webhook-id}.{webhook-timestamp}.{body}")).
Receivers recompute it with their copy of the secret (docs/deploy.md shows how) and compare in constant time.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    """A fresh signing secret, shown once to the admin who registers or rotates a webhook."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    """The HMAC key: the secret's base64 part, decoded."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header of one attempt."""
    signed = f"{message_id}.{timestamp}.{body}".encode("utf-8")
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """Every header of one attempt: the message id, the time it was signed, the signature."""
    return {"content-type": "application/json", "webhook-id": message_id,
            "webhook-timestamp": str(timestamp), "webhook-signature": signature(secret, message_id, timestamp, body)}
