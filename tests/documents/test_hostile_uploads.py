"""The public verification page takes PDFs from anyone: one built to expand without end is refused, quickly and
with little memory, and says so in Chinese."""

import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ..assets.test_hostile_input import MIB, Bounded

pytestmark = pytest.mark.django_db


def object_stream_bomb(expanded: int = 512 * MIB) -> bytes:
    """A PDF whose catalog lives in an object stream that inflates to `expanded` bytes (a few MB on disk)."""
    body = b"1 0 <</Type/Catalog/AcroForm<</Fields[]>>>>"
    packer = zlib.compressobj(1)
    chunks = [packer.compress(body)]
    blank = b" " * MIB
    for _ in range(expanded // MIB):
        chunks.append(packer.compress(blank))
    chunks.append(packer.flush())
    stream = b"".join(chunks)

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    objstm_at = len(out)
    out += b"3 0 obj\n<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>\nstream\n" % len(stream)
    out += stream + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [(0, 0, 65535), (2, 3, 0), (0, 0, 0), (1, objstm_at, 0), (1, xref_at, 0)]
    table = b"".join(kind.to_bytes(1, "big") + a.to_bytes(4, "big") + b.to_bytes(2, "big") for kind, a, b in rows)
    out += b"4 0 obj\n<</Type/XRef/Size 5/W[1 4 2]/Root 1 0 R/Length %d>>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def test_a_pdf_that_inflates_to_half_a_gigabyte_is_refused_within_2_s_with_bounded_memory(client):
    bomb = object_stream_bomb()
    assert len(bomb) < 10 * MIB

    with Bounded() as bounded:
        response = client.post("/verify/", {"file": SimpleUploadedFile("文书.pdf", bomb)})

    assert response.status_code == 200
    assert "文件中的压缩数据解压后过大，不像本系统签发的文书，未作核验。" in response.content.decode()
    assert bounded.seconds < 2, bounded.seconds
    assert bounded.grown < 150 * MIB, bounded.grown
