"""core.text's quick look (one regular expression) agrees with its character-by-character rules everywhere."""

import pytest
from django.core.exceptions import ValidationError

from core.text import _SPECIAL, INVISIBLE, _refused, clean_text


def test_the_quick_look_finds_exactly_the_characters_that_are_dropped_or_refused():
    # Every code point of Unicode: the regex and the rules name the same set (tab and line feed are kept).
    disagree = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if bool(_SPECIAL.search(chr(code)))
        != (chr(code) in INVISIBLE or (_refused(chr(code)) and chr(code) not in "\n\t"))
    ]
    assert disagree == []


@pytest.mark.parametrize(
    "typed, stored",
    [("茂县 𠀀 库房", "茂县 𠀀 库房"), ("库\u200b房\ufeff", "库房"), ("e\u0301", "\u00e9"),
     ("  两端空白  ", "两端空白"), ("第一行\r\n第二行", "第一行 第二行")],
)  # fmt: skip
def test_plain_text_passes_as_typed_and_invisible_characters_are_dropped(typed, stored):
    assert clean_text(typed) == stored


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\u202e", "\ud800", "\ufdd0", "\U0010ffff"])
def test_a_refused_character_is_named_with_its_position(char):
    with pytest.raises(ValidationError) as caught:
        clean_text(f"库房{char}")
    assert "第 3 个字符" in caught.value.messages[0]
