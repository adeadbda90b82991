"""Rare characters of names and places print as themselves in signed documents, never as empty boxes; text that
would make a page read differently from what is stored (a bidi override) is left out of the print."""

import copy
import re
import shutil
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from documents.render import render_document

from .test_render import ARTIFACTS, arguments, sample_context, text_of

# One name per block of CJK Unified Ideographs beyond the BMP's main block, each character from that block.
RARE_NAMES = {
    "Ext-A": "茂县㐀㒰再生资源回收有限公司",
    "Ext-B": "茂县𠀀𠀁𪚥再生资源回收有限公司",
    "Ext-C": "茂县𪜀𫜰再生资源回收有限公司",
    "Ext-D": "茂县𫝀𫠝再生资源回收有限公司",
    "Ext-E": "茂县𫠠𬺡再生资源回收有限公司",
    "Ext-F": "茂县𬺰𮯠再生资源回收有限公司",
    "Ext-G": "茂县𰀀𱍊再生资源回收有限公司",
    "Ext-H": "茂县𱍐𲎯再生资源回收有限公司",
}
RARE = {c for name in RARE_NAMES.values() for c in name if ord(c) >= 0x3400 and not 0x4E00 <= ord(c) <= 0x9FFF}


def _cmap(stream: bytes) -> dict[int, str]:
    """A ToUnicode CMap as glyph id -> text (bfchar and bfrange entries)."""
    text = stream.decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = bytes.fromhex(dst).decode("utf-16-be")
            for offset, gid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[gid] = first[:-1] + chr(ord(first[-1]) + offset)
    return out


def glyphs_by_font(pdf: bytes) -> dict[str, dict[int, str]]:
    """Per embedded font (its base name without the subset tag), the glyph ids drawn and the text each stands for."""
    import io

    reader = PdfFileReader(io.BytesIO(pdf))
    fonts: dict[str, dict[int, str]] = {}
    for page in reader.root["/Pages"]["/Kids"]:
        page = page.get_object()
        for font in page["/Resources"].get_object()["/Font"].get_object().values():
            font = font.get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            fonts.setdefault(name, {}).update(_cmap(font["/ToUnicode"].get_object().data))
    return fonts


@pytest.fixture(scope="module")
def scrap_form() -> bytes:
    context = sample_context("scrap_form")
    context = copy.deepcopy(context)
    context["execution"]["recycler"] = "、".join(RARE_NAMES.values())
    context["holding_unit"] = RARE_NAMES["Ext-B"]
    return render_document(**arguments("scrap_form", context=context)).pdf


def test_a_rare_character_of_every_extension_block_is_drawn_with_a_real_glyph(scrap_form):
    fonts = glyphs_by_font(scrap_form)
    drawn = {text: (font, gid) for font, glyphs in fonts.items() for gid, text in glyphs.items()}
    missing = sorted(c for c in RARE if c not in drawn)
    assert missing == [], [f"U+{ord(c):X}" for c in missing]
    notdef = {font: glyphs[0] for font, glyphs in fonts.items() if 0 in glyphs}
    assert notdef == {}, f"a .notdef box is drawn for {notdef}"
    # The fallbacks are embedded only because these names need them.
    assert {"HanaMinB-Medium", "BabelStone-Han"} <= set(fonts)
    assert drawn["𪜀"][0] == "HanaMinB-Medium" and drawn["𰀀"][0] == "BabelStone-Han"
    printed = re.sub(r"\s+", "", text_of(scrap_form))
    assert all(name in printed for name in RARE_NAMES.values())


def test_a_document_without_rare_characters_embeds_no_fallback(scrap_form):
    plain = render_document(**arguments("scrap_form")).pdf
    assert set(glyphs_by_font(plain)).isdisjoint({"HanaMinA-Medium", "HanaMinB-Medium", "BabelStone-Han"})


def test_the_page_with_rare_characters_is_kept_to_look_at(scrap_form):
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils is needed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "rare-characters-scrap-form.pdf").write_bytes(scrap_form)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "110",
            "-singlefile",
            "rare-characters-scrap-form.pdf",
            "rare-characters-scrap-form",
        ],
        cwd=ARTIFACTS,
        check=True,
    )
    assert (ARTIFACTS / "rare-characters-scrap-form.png").stat().st_size > 10_000


def test_a_bidi_override_stored_before_the_input_rules_is_left_out_of_the_print():
    context = copy.deepcopy(sample_context("scrap_form"))
    context["execution"]["recycler"] = "茂县\u202eABC\u202c回收站"
    pdf = render_document(**arguments("scrap_form", context=context)).pdf
    text = text_of(pdf)
    assert "茂县ABC回收站" in re.sub(r"\s+", "", text) and "\u202e" not in text
