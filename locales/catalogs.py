"""Extraction of msgids from the source tree and a comparison with the catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from . import DOMAIN_DIR, LOCALES

SOURCE_DIRS = ("bot", "handlers", "flows", "storage", "locales")
KEYWORDS = {"_": None, "N_": None, "P_": (1, 2)}

# One entry per msgid: either a str or a (singular, plural) pair, with where it was seen.
Message = tuple[str | tuple[str, str], str]


def extract_messages(root: Path) -> list[Message]:
    found: dict[str | tuple[str, str], str] = {}
    for folder in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            root / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=(),
            strip_comment_tags=True,
        ):
            if not message:
                continue
            key = message if isinstance(message, str) else tuple(message)
            found.setdefault(key, f"{folder}/{filename}:{lineno}")  # type: ignore[arg-type]
    return sorted(found.items(), key=lambda item: item[1])


def load_catalogs(locale: str) -> dict[str, list[str]]:
    """msgid → translations (singular first) over every .po file of ``locale``."""
    merged: dict[str, list[str]] = {}
    for po in sorted((DOMAIN_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            strings = (
                [message.string] if isinstance(message.string, str)
                else list(message.string or ())
            )
            if all(strings):
                merged[msgid] = strings
    return merged


def missing_by_locale(messages: list[Message]) -> dict[str, list[tuple[str, str]]]:
    result: dict[str, list[tuple[str, str]]] = {}
    for locale in LOCALES:
        have = load_catalogs(locale)
        result[locale] = [
            (key if isinstance(key, str) else key[0], where)
            for key, where in messages
            if (key if isinstance(key, str) else key[0]) not in have
        ]
    return result


def write_pot(root: Path) -> Path:
    catalog = Catalog(project="synaq")
    for key, where in extract_messages(root):
        path, _, line = where.rpartition(":")
        catalog.add(key, locations=[(path, int(line))])
    target = DOMAIN_DIR / "synaq.pot"
    with target.open("wb") as fh:
        write_po(fh, catalog)
    return target


def stub(root: Path, domain: str, paths: list[Path]) -> dict[str, int]:
    """Add the msgids used in ``paths`` that no catalog of a locale has yet to that locale's
    ``<domain>.po`` (English gets the msgid itself as its text; kk and ru stay empty to be
    translated). Returns how many entries each locale got."""
    wanted: list[str | tuple[str, str]] = []
    for path in paths:
        for key, _where in _extract_file(root, path):
            if key not in wanted:
                wanted.append(key)
    added: dict[str, int] = {}
    for locale in LOCALES:
        have = load_catalogs(locale)
        target = DOMAIN_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
        if target.exists():
            with target.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="synaq", domain=domain)
        count = 0
        for key in wanted:
            msgid = key if isinstance(key, str) else key[0]
            if msgid in have or msgid in catalog:
                continue
            if locale == "en":
                string: str | tuple[str, ...] = key
            else:
                string = "" if isinstance(key, str) else ("",) * catalog.num_plurals
            catalog.add(key, string)
            count += 1
        catalog.fuzzy = False  # a fuzzy header would mark the whole file as unchecked
        catalog.project, catalog.version = "synaq", "1"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False)
        added[locale] = count
    return added


def _extract_file(root: Path, path: Path) -> list[Any]:
    from babel.messages.extract import extract_from_file

    path = path.resolve()
    return [
        (message if isinstance(message, str) else tuple(message), f"{path}:{lineno}")
        for lineno, message, _c, _ctx in extract_from_file(
            "python", str(path), keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True)
        if message
    ]


def rename(old: str, new: str) -> int:
    """Give a msgid new English wording in every catalog, keeping its translations."""
    changed = 0
    for po in sorted(DOMAIN_DIR.glob("*/LC_MESSAGES/*.po")):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        message = catalog.get(old)
        if message is None:
            continue
        string = new if locale == "en" else message.string
        catalog.delete(old)
        catalog.add(new, string, locations=message.locations, flags=message.flags)
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100)
        changed += 1
    return changed


def prune(root: Path) -> dict[str, int]:
    """Drop catalog entries whose msgid no code uses any more; returns counts per file."""
    used = {key if isinstance(key, str) else key[0] for key, _where in extract_messages(root)}
    dropped: dict[str, int] = {}
    for po in sorted(DOMAIN_DIR.glob("*/LC_MESSAGES/*.po")):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        stale = [m.id for m in catalog if m.id and (
            m.id if isinstance(m.id, str) else m.id[0]) not in used]
        for msgid in stale:
            catalog.delete(msgid)
        if stale:
            with po.open("wb") as fh:
                write_po(fh, catalog, width=100)
            dropped[str(po.relative_to(DOMAIN_DIR))] = len(stale)
    return dropped
