"""Plain text as people mean it: what every form, import row, admin field and API value goes through before it is
stored, and what every export and document prints.

Text typed or pasted by a person is kept as typed, with three kinds of exceptions:
- invisible layout from other programs is turned into what it shows: Word's vertical tab and form feed, Unicode's
  line and paragraph separators and CR LF become a line break (a blank in a one-line field), a tab a blank;
- invisible characters that carry nothing in Chinese text are dropped: zero-width spaces and joiners, the word
  joiner, the byte-order mark, the soft hyphen;
- characters that must never be stored are refused with a message that names them: other control characters
  (they break exports and XML), lone surrogates and noncharacters (they cannot be encoded), and the bidi controls,
  which make a signed document read differently from what is stored (U+202E prints "ABC" as "CBA").
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

# Bidi embeddings, overrides, isolates and marks (Unicode UAX #9, and U+061C ARABIC LETTER MARK).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Format characters with no visible effect in Chinese text: dropped where they appear.
INVISIBLE = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_ONE_LINE = re.compile("[\n\t]")

NAMES = {
    "\u202e": "从右向左强制（U+202E）",
    "\u202d": "从左向右强制（U+202D）",
    "\u202a": "从左向右嵌入（U+202A）",
    "\u202b": "从右向左嵌入（U+202B）",
    "\u202c": "方向格式结束（U+202C）",
    "\u200e": "从左向右标记（U+200E）",
    "\u200f": "从右向左标记（U+200F）",
    "\x00": "空字符（U+0000）",
}


def _name(char: str) -> str:
    return NAMES.get(char) or f"U+{ord(char):04X}"


def _refusal(char: str, position: int) -> str:
    where = f"第 {position} 个字符"
    if char in BIDI_CONTROLS:
        return (
            f"含有改变文字方向的隐藏字符{_name(char)}（{where}）：它会让打印和签章的文件与保存的内容读起来不同，"
            "请删除后重新填写（可先粘贴到记事本中再复制）。"
        )
    if 0xD800 <= ord(char) <= 0xDFFF:
        return f"含有无法保存的残缺字符 {_name(char)}（{where}），请删除后重新填写。"
    return f"含有不可见的控制字符 {_name(char)}（{where}），可能是从其他软件粘贴带入的，请删除后重新填写。"


def _refused(char: str) -> bool:
    code = ord(char)
    if char in BIDI_CONTROLS:
        return True
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return char not in "\n\t"
    if 0xD800 <= code <= 0xDFFF:
        return True
    # Noncharacters: U+FDD0..U+FDEF and the last two code points of every plane.
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


# Any character clean_text drops or refuses (INVISIBLE, or _refused): text without one, nearly all of it, is taken
# as it is without looking at it character by character.
_SPECIAL = re.compile(
    "["
    + "".join(sorted(BIDI_CONTROLS | INVISIBLE))
    + "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)


def clean_text(value: str, *, multiline: bool = False) -> str:
    """The text as it will be stored; raises ValidationError (Chinese, naming the character) for what is refused."""
    text = _LINE_BREAKS.sub("\n", value)
    if not multiline:
        text = _ONE_LINE.sub(" ", text)
    elif "\t" in text:
        text = text.replace("\t", " ")
    if _SPECIAL.search(text) is not None:
        kept = []
        for position, char in enumerate(text, start=1):
            if char in INVISIBLE:
                continue
            if _refused(char):
                raise ValidationError(_refusal(char, position), code="unsafe_text")
            kept.append(char)
        text = "".join(kept)
    text = unicodedata.normalize("NFC", text)
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.strip()


def printable(value: str) -> str:
    """For output that must never fail or mislead (xlsx cells, PDFs, CSV): what clean_text would refuse or drop is
    left out instead, line breaks kept. For text stored before the input rules existed."""
    text = _LINE_BREAKS.sub("\n", value)
    return "".join(c for c in text if c in "\n\t" or not (c in INVISIBLE or _refused(c)))


def visible(value: str) -> str:
    """For a message that quotes what was typed: each character clean_text drops or refuses written as its code point
    (U+0000), so that the message shows it and never carries it."""
    return _SPECIAL.sub(lambda m: f"U+{ord(m.group()):04X}", value)


def normalize_code(value: str) -> str:
    """An identifier (资产编号) in the one form it is stored and compared in: full-width letters and digits as ASCII
    (NFKC), every format character and blank removed, upper case. So “ｍｘ-zhongxue-sb-0001”, a copy with a
    zero-width space and one wrapped in bidi marks are all MX-ZHONGXUE-SB-0001."""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Zs", "Zl", "Zp") and not c.isspace())
    return clean_text(text.upper())  # what is left and still invisible (a control character) is refused
