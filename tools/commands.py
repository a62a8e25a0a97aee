"""The command registry of ``python -m crm``: each command module registers its handlers here."""
from __future__ import annotations

import argparse
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[str, Configure, Handler]] = {}


def command(name: str, help_text: str, configure: Configure) -> Callable[[Handler], Handler]:
    """Register ``fn`` as ``python -m crm NAME``; ``configure`` adds its arguments."""
    def wrap(fn: Handler) -> Handler:
        COMMANDS[name] = (help_text, configure, fn)
        return fn
    return wrap
