"""``python -m locales check``: msgids used in the code that a catalog lacks or leaves empty.

``python -m locales stub FEATURE FILE…`` adds the msgids of FILEs that no catalog has yet to
``locales/<locale>/LC_MESSAGES/FEATURE.po`` (kk and ru left empty to translate, en filled).
``python -m locales rename OLD NEW`` rewords a msgid in every catalog, keeping translations.
``python -m locales prune`` drops entries whose msgid no code uses any more.
``python -m locales extract`` writes ``locales/synaq.pot`` for translators' tools.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import LOCALES
from .catalogs import extract_messages, missing_by_locale, prune, rename, stub, write_pot


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    command = argv[0] if argv else "check"
    if command == "extract":
        path = write_pot(root)
        print(f"wrote {path}")
        return 0
    if command == "stub" and len(argv) >= 3:
        added = stub(root, argv[1], [Path(p) for p in argv[2:]])
        print(", ".join(f"{loc}: +{n}" for loc, n in added.items()))
        return 0
    if command == "rename" and len(argv) == 3:
        print(f"{rename(argv[1], argv[2])} catalogs changed")
        return 0
    if command == "prune":
        for catalog, count in prune(root).items():
            print(f"{catalog}: -{count}")
        return 0
    if command == "check":
        messages = extract_messages(root)
        problems = 0
        for locale, missing in missing_by_locale(messages).items():
            for msgid, where in missing:
                print(f"{locale}: missing {msgid!r} ({where})")
                problems += 1
        print(f"{len(messages)} msgids, {len(LOCALES)} locales, {problems} problems")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
