"""Counts the access checks one service call makes (the contract: exactly one per public entry)."""
from __future__ import annotations

import sys
from typing import Any

import pytest

from crm.core import access


def count_require(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The capabilities checked from now on by every loaded ``crm`` module, in order."""
    checked: list[str] = []
    original = access.require

    def counting(actor: Any, capability: str) -> None:
        checked.append(capability)
        original(actor, capability)

    for name, module in list(sys.modules.items()):
        if name.startswith("crm.") and getattr(module, "require", None) is original:
            monkeypatch.setattr(module, "require", counting)
    return checked
