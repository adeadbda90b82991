"""HTML → PDF for the step documents: one Django template per kind, WeasyPrint, and nothing fetched but our own files.

The caller (documents/services.py) hands over the frozen context of the step, the document number, the verification
URL, the SHA-256 of the canonical context and the signing organizations; this module prints exactly that and never
reads the clock or the database, so the same input always gives the same bytes (pyHanko signs them afterwards, into
the dashed boxes whose rectangles `RenderedPdf.boxes` reports).

Safety: Django autoescapes every value of the context (no `|safe` on user data; the only marked-safe markup is the QR
code SVG made here). WeasyPrint's URL fetcher is `StaticOnlyFetcher`: it serves a preloaded allow-list of the files in
static/documents/ and aborts the render with `UrlRefused` for any other URL (file:, http:, data:, ../ and the rest).
"""

from __future__ import annotations

import collections
import datetime
import functools
import io
import logging
import mimetypes
import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import segno
import uharfbuzz
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from fontTools.ttLib import TTCollection
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from core import formatting
from core.text import printable

from .kinds import KIND_TITLES, SIGNER_ROLES

logger = logging.getLogger(__name__)


STATIC_DIR = Path(settings.BASE_DIR) / "static" / "documents"
STYLESHEET = "documents.css"

# The one family of the documents, Debian's fonts-noto-cjk, with a real Bold for the titles. The stylesheet loads it
# as fonts/*.otf: compact copies cut from the system collection when the renderer starts, Regular with the GB2312
# repertoire (all of modern Chinese, ~7,700 glyphs instead of 65,535) and Bold with the characters of the titles.
# WeasyPrint keeps glyph ids when it subsets a font into a PDF, so fonts with few glyphs make each PDF smaller
# (~85 KB instead of ~275 KB) and faster to write. A character outside them (bold text that is not a title, a rare
# one in a name) still prints: the stylesheet falls back to the full system font, then to 花园明朝 A/B (CJK Ext-A, Ext-B
# to F) and BabelStone Han (Ext-G, H), which are embedded, as subsets, only in a document that uses them.
FALLBACK_FONTS = ("HanaMinA", "HanaMinB", "BabelStone Han")
NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_FAMILY = "Noto Serif CJK SC"
REGULAR_FONT = "fonts/NotoSerifCJKsc-Regular-GB2312.otf"
BOLD_FONT = "fonts/NotoSerifCJKsc-Bold-titles.otf"

# Keys of the frozen context (at any depth) that hold money, dates or areas; they are printed formatted.
MONEY_KEYS = frozenset(
    {
        "original_value",
        "net_value",
        "item_value",
        "batch_value",
        "due",
        "received",
        "fees",
        "remitted",
        "reserve_rent",
        "annual_rent",
        "deposit",
        "appraisal_value",
        "reserve_price",
        "winning_bid",
        "residual_value",
    }
)
DATE_KEYS = frozenset(
    {"acquired_on", "idle_since", "handover_on", "lease_starts_on", "lease_ends_on", "appraisal_date", "deal_on"}
)
AREA_KEYS = frozenset({"area_m2"})


# -- the fetcher ----------------------------------------------------------------------------------------------------


class UrlRefused(FatalURLFetchingError):
    """A URL outside the allow-list. A BaseException (WeasyPrint swallows ordinary ones): the render is aborted."""


class StaticOnlyFetcher(URLFetcher):
    """Serves only the files found under `root` when it was created (read once, kept in memory); refuses the rest.

    Paths are resolved before the lookup, so `../` tricks and symlinks out of the folder find nothing."""

    def __init__(self, root: Path = STATIC_DIR, extra: dict[str, bytes] | None = None):
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.root = Path(root).resolve()
        self.refused: collections.deque[str] = collections.deque(maxlen=50)  # the last ones, for diagnosis
        self.assets: dict[Path, tuple[bytes, str]] = {}
        for name, body in (extra or {}).items():  # made in memory, served as if they were files of the folder
            self.assets[(self.root / name).resolve()] = (body, mimetypes.guess_type(name)[0] or "font/otf")
        for path in sorted(self.root.rglob("*")):
            resolved = path.resolve()
            if not path.is_file() or not resolved.is_relative_to(self.root):
                continue
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.assets[resolved] = (resolved.read_bytes(), content_type)

    def url_for(self, name: str) -> str:
        return (self.root / name).as_uri()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost") and not parts.query:
            asset = self.assets.get(Path(unquote(parts.path)).resolve())
            if asset is not None:
                body, content_type = asset
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
        # Raised, not returned: WeasyPrint aborts the render (except inside an SVG drawing, where it only logs and
        # leaves the image out; either way nothing outside the allow-list is read).
        self.refused.append(url[:200])
        logger.warning("document URL refused: %s", url[:200])
        raise UrlRefused(f"URL refused, not one of the documents' static files: {url[:200]}")


# -- the renderer ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    # "sig-1", "sig-2", ... -> (page index, (x1, y1, x2, y2) in PDF points, origin bottom-left): pyHanko's
    # SigFieldSpec(on_page=..., box=...).
    boxes: dict[str, tuple[int, tuple[float, float, float, float]]]


class Renderer:
    """Font configuration, stylesheet, fetcher and image cache, built once per process and reused."""

    def __init__(self, root: Path = STATIC_DIR):
        fonts = {
            REGULAR_FONT: compact_font(NOTO_DIR / "NotoSerifCJK-Regular.ttc", gb2312_repertoire()),
            BOLD_FONT: compact_font(NOTO_DIR / "NotoSerifCJK-Bold.ttc", title_repertoire()),
        }
        self.fetcher = StaticOnlyFetcher(root, extra=fonts)
        self.base_url = self.fetcher.root.as_uri() + "/"
        self.font_config = FontConfiguration()
        self.stylesheets = [
            CSS(
                url=self.fetcher.url_for(STYLESHEET),
                url_fetcher=self.fetcher,
                font_config=self.font_config,
            )
        ]
        self.cache: dict = {}
        self._lock = threading.Lock()

    def render(self, html: str, *, identifier: bytes) -> RenderedPdf:
        """Lays out `html` (already escaped) and returns the PDF and the rectangles of the `sig-*` elements."""
        with self._lock:
            document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                stylesheets=self.stylesheets, font_config=self.font_config, cache=self.cache
            )
            boxes = {}
            for index, page in enumerate(document.pages):
                for anchor, (x1, y1, x2, y2) in sorted(page.anchors.items()):
                    if anchor.startswith("sig-"):
                        # CSS px with y downwards -> PDF points with y upwards.
                        height = page.height
                        rect = (x1 * 0.75, (height - y2) * 0.75, x2 * 0.75, (height - y1) * 0.75)
                        boxes[anchor] = (index, tuple(round(v, 2) for v in rect))
            pdf = document.write_pdf(pdf_identifier=identifier)
        return RenderedPdf(pdf=pdf, boxes=boxes)


@functools.cache
def renderer() -> Renderer:
    """The process-wide renderer (the first call costs the font setup; keep worker processes long-lived)."""
    return Renderer()


def render_document(
    *,
    kind: str,
    context: dict,
    number: str,
    verify_url: str,
    content_sha256: str,
    issued_at: datetime.datetime,
    signers: list[str],
) -> RenderedPdf:
    """The PDF of one step document; deterministic (same arguments, same bytes). `signers` are organization names in
    signing order: one signature box each, `id="sig-1"`, `"sig-2"`, ..."""
    if kind not in KIND_TITLES:
        raise ValueError(f"unknown document kind: {kind}")
    html = document_html(
        kind=kind,
        context=context,
        number=number,
        verify_url=verify_url,
        content_sha256=content_sha256,
        issued_at=issued_at,
        signers=signers,
    )
    return renderer().render(html, identifier=number.encode())


def document_html(
    *,
    kind: str,
    context: dict,
    number: str,
    verify_url: str,
    content_sha256: str,
    issued_at: datetime.datetime,
    signers: list[str],
) -> str:
    """The HTML that `render_document` lays out (useful to look at in a browser while editing a template)."""
    issued = _local(issued_at)
    roles = SIGNER_ROLES[kind]
    doc = {
        "kind": kind,
        "title": KIND_TITLES[kind],
        "number": number,
        "verify_url": verify_url,
        "sha256": content_sha256,
        "issued_on": formatting.cn_date(issued.date()),
        "created": issued.replace(microsecond=0).isoformat(),
        "qr": mark_safe(_qr_svg(verify_url)),  # our own markup: digits of a path, no user text
        "signers": [
            {"id": f"sig-{i}", "role": roles[min(i - 1, len(roles) - 1)], "name": printable(name)}
            for i, name in enumerate(signers, start=1)
        ],
    }
    case = _formatted(context)  # the same keys, with money, dates and areas as they are printed
    case["events"] = [_event(e) for e in context.get("events") or []]
    # The 申报表's evidence files (documents/contexts.py), each with when it was uploaded.
    case["evidence"] = [
        {**e, "uploaded_at": moment_text(e.get("uploaded_at"))}
        for e in case.get("evidence") or []
        if isinstance(e, dict)
    ]
    routing = context.get("routing") if isinstance(context.get("routing"), dict) else {}
    case["rules"] = [rule for rule in routing.get("rules") or [] if isinstance(rule, dict)]
    execution = context.get("execution") if isinstance(context.get("execution"), dict) else {}
    # Amounts in capital numerals (大写), as vouchers print them next to the figures.
    upper = {f"{key}_upper": rmb_upper(execution.get(key)) for key in ("winning_bid", "annual_rent", "residual_value")}
    return render_to_string(f"documents/{kind}.html", {"doc": doc, "c": case, "x": upper})


_BASIC = frozenset(range(0x20, 0x7F)) | frozenset(range(0x3000, 0x3040)) | frozenset(range(0xFF01, 0xFF5F))


def title_repertoire() -> set[int]:
    """ASCII, CJK punctuation, full-width forms and the characters of the titles."""
    return set(_BASIC) | {ord(char) for title in KIND_TITLES.values() for char in title}


def gb2312_repertoire() -> set[int]:
    """Code points of GB2312 (6,763 hanzi, punctuation, full-width forms) plus Latin-1 and general punctuation."""
    points = set(_BASIC) | set(range(0xA0, 0x180)) | set(range(0x2000, 0x2070)) | {0x33A1, 0x2103}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


def compact_font(collection: Path, code_points: set[int], family: str = FONT_FAMILY) -> bytes:
    """The face of `family` in a font collection with only the glyphs of `code_points` (HarfBuzz, ~50 ms). Without
    the vertical metrics, which horizontal text never uses."""
    if not collection.exists():
        raise RuntimeError(f"{collection} is missing: the documents need Debian's fonts-noto-cjk")
    names = [font["name"].getDebugName(1) for font in TTCollection(collection, lazy=True).fonts]
    if family not in names:
        raise RuntimeError(f"no {family!r} in {collection}: {names}")
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(collection), names.index(family))
    request = uharfbuzz.SubsetInput()
    request.unicode_set.update(code_points)
    request.drop_table_tag_set.update(int.from_bytes(tag.encode(), "big") for tag in ("vhea", "vmtx", "VORG", "BASE"))
    request.flags = uharfbuzz.SubsetFlags.NO_LAYOUT_CLOSURE | uharfbuzz.SubsetFlags.DESUBROUTINIZE
    return uharfbuzz.subset(face, request).blob.data


# -- formatting -----------------------------------------------------------------------------------------------------


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def money(value: Any) -> str:
    return formatting.yuan(value, blank="")


def date_text(value: Any) -> str:
    if not value:
        return ""
    try:
        return formatting.cn_date(datetime.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def moment_text(value: Any) -> str:
    if not value:
        return ""
    try:
        moment = _local(datetime.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)
    return f"{formatting.cn_date(moment.date())} {moment:%H:%M}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _upper_group(number: int) -> str:
    """0 < number < 10000, written with 仟佰拾; inner zeros read once as 零."""
    out, zero = "", False
    for digit, unit in zip(f"{number:04d}", ("仟", "佰", "拾", ""), strict=True):
        if digit == "0":
            zero = bool(out)
            continue
        if zero:
            out, zero = out + "零", False
        out += _DIGITS[int(digit)] + unit
    return out


def rmb_upper(value: Any) -> str:
    """The amount in capital numerals as written on vouchers: '3600000.00' -> '人民币叁佰陆拾万元整'."""
    number = formatting.decimal_or_none(value)
    if number is None:
        return ""
    cents = int(abs(number).quantize(Decimal("0.01"), ROUND_HALF_UP) * 100)
    integer, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text, pending_zero = "", False
    groups = []
    while integer:
        integer, group = divmod(integer, 10000)
        groups.append(group)
    units = ("", "万", "亿", "万")
    for position in range(len(groups) - 1, -1, -1):
        group = groups[position]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _upper_group(group) + units[position % 4]
        pending_zero = False
    if text:
        text += "元"
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        text += ("零" if text and not jiao else "") + _DIGITS[fen] + "分"
    if not text:
        text = "零元"
    if not fen:
        text += "整"
    return ("人民币负" if number < 0 else "人民币") + text


def _formatted(value: Any, key: str = "") -> Any:
    """A copy of the context with money, dates and areas made readable; other values unchanged."""
    if isinstance(value, dict):
        if AREA_KEYS & value.keys():  # an area is printed in its category's unit, where the context names it
            unit = value.get("area_unit") or formatting.SQM
            return {k: printable(formatting.area_text(v, unit, blank="")) if k in AREA_KEYS else _formatted(v, k)
                    for k, v in value.items()}  # fmt: skip
        return {k: _formatted(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_formatted(v) for v in value]
    if key in MONEY_KEYS:
        return money(value)
    if key in DATE_KEYS:
        return date_text(value)
    # Printed as stored, minus what could make the page read differently (bidi overrides) or not at all.
    return printable(value) if isinstance(value, str) else value


def _event(event: Any) -> dict:
    event = _formatted(event) if isinstance(event, dict) else {}
    return {
        "label": event.get("label") or event.get("action") or "",
        "actor": event.get("actor") or "",
        "acting_for": event.get("acting_for") or "",
        "organization": event.get("organization") or "",
        "opinion": event.get("opinion") or "",
        "at": moment_text(event.get("at")),
    }


def _qr_svg(url: str) -> str:
    """The QR code (segno, level M) as inline SVG markup sized by the stylesheet: no file, no data: URI.

    Keep it in a box of fixed width: inside an auto-sized one (a table cell) WeasyPrint measures the path's bounding
    box for the preferred widths, which costs ~15 ms per document."""
    buffer = io.BytesIO()
    # A fixed mask: segno otherwise scores all eight masks (~4 ms); any mask reads the same.
    segno.make(url, error="m", micro=False, mask=0).save(
        buffer, kind="svg", xmldecl=False, svgns=True, nl=False, border=0, omitsize=True, svgclass="qr", lineclass=None
    )
    return buffer.getvalue().decode().replace("<svg ", '<svg id="qr" ', 1)
