"""What people type, cleaned once where it comes in (handlers/inbound.py; an importer's cells
can use the same function).

Dropped — characters that are invisible, or change how the text around them is shown, and
that would travel into names, answers, digests and documents other people read:

- control characters (Unicode Cc: U+0000–U+001F, U+007F, U+0080–U+009F including U+0085),
  except tab, line feed and carriage return;
- format characters (Unicode Cf): zero-width space U+200B, ZWNJ U+200C, ZWJ U+200D (but see
  below), direction marks U+200E/F and U+061C, embeddings and overrides U+202A–U+202E,
  isolates U+2066–U+2069, invisible operators U+2060–U+2064, soft hyphen U+00AD, byte-order
  mark U+FEFF, interlinear annotation U+FFF9–U+FFFB, tag characters;
- lone surrogates (PostgreSQL cannot store them).

Kept — everything else, and these on purpose:

- ZWJ between two emoji (👨‍👩‍👧 is one picture, not three) and the tag characters of a
  subdivision flag after 🏴 (🏴󠁧󠁢󠁳󠁣󠁴󠁿);
- variation selectors and emoji skin tones (they are not format characters).

Line and paragraph separators (U+2028, U+2029) become a line break, and the text is put in
NFC form (a letter and its combining mark as one character, as keyboards type them).
"""

from __future__ import annotations

import unicodedata

ZWJ = "\u200d"
BLACK_FLAG = "\U0001f3f4"
_KEEP_CONTROLS = frozenset("\t\n\r")
_LINE_BREAKS = {"\u2028": "\n", "\u2029": "\n"}
_TAGS = range(0xE0020, 0xE0080)
# Between an emoji and a ZWJ may stand a variation selector or a skin tone.
_MODIFIERS = frozenset(["\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))])


def clean_typed(text: str) -> str:
    """``text`` without invisible and direction-changing characters (see the module)."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    in_flag = False
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch in _LINE_BREAKS:
            out.append(_LINE_BREAKS[ch])
        elif category == "Cc":
            if ch in _KEEP_CONTROLS:
                out.append(ch)
        elif category == "Cs":
            pass
        elif category == "Cf":
            joins_emoji = ch == ZWJ and _emoji_before(out) and _emoji(text[i + 1:i + 2])
            if joins_emoji or (in_flag and ord(ch) in _TAGS):
                out.append(ch)
            elif ch == "\U000e007f" and in_flag:  # CANCEL TAG ends the flag
                out.append(ch)
                in_flag = False
            continue
        else:
            out.append(ch)
        in_flag = ch == BLACK_FLAG or (in_flag and ord(ch) in _TAGS)
    return "".join(out)


def _emoji(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch) == "So"


def _emoji_before(out: list[str]) -> bool:
    for ch in reversed(out):
        if ch not in _MODIFIERS:
            return _emoji(ch)
    return False
