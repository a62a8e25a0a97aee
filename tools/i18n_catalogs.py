"""Keep the gettext catalogs in step with the code: ``python -m tools.i18n_catalogs COMMAND``.

- ``update``  extract every ``_()``/``N_()``/``ngettext()`` message from app.py, pages/, ui/, crm/ and tools/
              into crm/locale/messages.pot and merge it into each language's messages.po
              (new messages arrive untranslated; messages gone from the code are dropped);
              translations found in crm/locale/parts/*/<lang>.po are taken in.
- ``check``   list every message that is missing, fuzzy or has different {placeholders}
              than its English text, per language; exit 1 when there is any.
- ``part GROUP FILE...``  write crm/locale/parts/GROUP/<lang>.po holding the messages of just
              those files (keeping translations already there), for translating one area at a time.
"""
from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

from crm.core.i18n import DOMAIN, LOCALE_DIR, TRANSLATED, catalog_path

ROOT = LOCALE_DIR.parent.parent
SOURCES = ("app.py", "pages", "ui", "crm", "tools", "api")
PARTS_DIR = LOCALE_DIR / "parts"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def source_files() -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def extract(files: Iterable[Path]) -> Catalog:
    """A template catalog of every message marked in ``files``."""
    template = Catalog(project="CRM portal", domain=DOMAIN, fuzzy=False)
    for path in files:
        for lineno, message, comments, context in extract_from_file(
                "python", str(path), keywords=DEFAULT_KEYWORDS, comment_tags=("Translators:",)):
            template.add(message, None, [(str(path.relative_to(ROOT)), lineno)],
                         auto_comments=comments, context=context)
    return template


def _read(path: Path, lang: str) -> Catalog:
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=lang, domain=DOMAIN)
    return Catalog(locale=lang, domain=DOMAIN, project="CRM portal", fuzzy=False)


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False, omit_header=False)


def _has_translation(msg) -> bool:  # type: ignore[no-untyped-def]
    strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
    return all(s for s in strings)


def _merge(template: Catalog, existing: Catalog, extra: Sequence[Catalog]) -> Catalog:
    # update() adopts the template's message objects: give each language its own copy
    existing.update(copy.deepcopy(template), no_fuzzy_matching=True)
    existing.obsolete.clear()
    for msg in existing:
        if not msg.id or (_has_translation(msg) and not msg.fuzzy):
            continue
        for other in extra:
            found = other.get(msg.id, msg.context)
            if found is not None and _has_translation(found) and not found.fuzzy:
                msg.string = found.string
                msg.flags.discard("fuzzy")
                break
    existing.fuzzy = False
    return existing


def update() -> None:
    template = extract(source_files())
    _write(template, TEMPLATE)
    for lang in TRANSLATED:
        parts = [_read(p, lang) for p in sorted(PARTS_DIR.glob(f"*/{lang}.po"))]
        catalog = _merge(template, _read(catalog_path(lang), lang), parts)
        _write(catalog, catalog_path(lang))
        print(f"{lang}: {len([m for m in catalog if m.id])} messages, {len(problems(catalog))} to translate")


def part(group: str, files: Sequence[str]) -> None:
    template = extract(Path(f).resolve() for f in files)
    for lang in TRANSLATED:
        path = PARTS_DIR / group / f"{lang}.po"
        catalog = _merge(template, _read(path, lang), [_read(catalog_path(lang), lang)])
        _write(catalog, path)
        print(f"{path.relative_to(ROOT)}: {len([m for m in catalog if m.id])} messages, "
              f"{len(problems(catalog))} to translate")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def problems(catalog: Catalog) -> list[str]:
    """What is wrong with each message of ``catalog``: untranslated, fuzzy, placeholders differ."""
    found: list[str] = []
    for msg in catalog:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        label = ids[0]
        if not all(strings):
            found.append(f"untranslated: {label!r}")
        elif msg.fuzzy:
            found.append(f"fuzzy: {label!r}")
        else:
            wanted = placeholders(ids[-1]) | placeholders(ids[0])
            for s in strings:
                if placeholders(s) - wanted or (len(ids) == 1 and placeholders(s) != wanted):
                    found.append(f"placeholders differ: {label!r} -> {s!r}")
                    break
    return found


def check() -> int:
    template = extract(source_files())
    bad = 0
    for lang in TRANSLATED:
        catalog = _read(catalog_path(lang), lang)
        missing = [m.id for m in template if m.id and catalog.get(m.id, m.context) is None]
        issues = [f"missing: {mid!r}" for mid in missing] + problems(catalog)
        bad += len(issues)
        for line in issues:
            print(f"{lang}: {line}")
    return 1 if bad else 0


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in {"update", "check", "part"}:
        print(__doc__)
        return 2
    if argv[0] == "update":
        update()
        return 0
    if argv[0] == "check":
        return check()
    if len(argv) < 3:
        print("usage: python -m tools.i18n_catalogs part GROUP FILE...")
        return 2
    part(argv[1], argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
