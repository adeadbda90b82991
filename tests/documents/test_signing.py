"""documents/signing.py: the deployment's CA (init_pki), PAdES signatures with a visible seal, and the verifier.

Genuine files are checked twice: by our verify_pdf (pyHanko) and by poppler's pdfsig trusting our root through an
NSS database, as an outside verifier would. A signed page and the seals are rendered to artifacts/documents/."""

import datetime
import io
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import call_command
from PIL import Image

from assets.models import Organization, OrganizationKind
from documents import signing
from documents.signing import PkiError, Verdict, sign_pdf, verify_pdf

from ..clock import CLOCK, on_the_clock
from ..factories import OrganizationFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"

HTML = """<html><head><style>
html { font-family: 'Noto Sans CJK SC'; font-size: 10.5pt; }
@page { size: A4; margin: 18mm; }
h1 { font-family: 'Noto Serif CJK SC'; text-align: center; }
table { border-collapse: collapse; width: 100%; } td { border: 0.75pt solid #333; padding: 3pt; }
.boxes { margin-top: 8mm; } .box { display: inline-block; width: 56mm; height: 30mm; margin-right: 20mm;
  border: 0.75pt dashed #555; }
</style></head><body>
<h1>资产调拨单</h1>
<p>文号：茂财盘〔2026〕15号。根据《茂县行政事业单位国有资产管理办法》，经审核，同意将下列闲置资产由调出单位无偿调拨给调入单位使用。
赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳</p>
<table>{rows}</table>
<div class="boxes"><span class="box" id="sig-1"></span><span class="box" id="sig-2"></span></div>
</body></html>"""


@pytest.fixture(scope="module")
def form():
    """A one-page Chinese form (~250 KB, fonts embedded) and its two signature boxes in PDF points."""
    from weasyprint import HTML as WeasyHTML

    rows = "".join(
        f"<tr><td>第{i}项</td><td>茂县凤仪镇人民政府闲置办公用房（原粮站仓库）{i}号楼</td>"
        f"<td>{i * 1234.5:,.2f} 元</td></tr>"
        for i in range(1, 18)
    )
    document = WeasyHTML(string=HTML.replace("{rows}", rows)).render()
    assert len(document.pages) == 1
    page = document.pages[0]
    boxes = {
        anchor: (x1 * 0.75, (page.height - y2) * 0.75, x2 * 0.75, (page.height - y1) * 0.75)
        for anchor, (x1, y1, x2, y2) in page.anchors.items()
        if anchor.startswith("sig-")
    }
    return document.write_pdf(), boxes


@pytest.fixture
def pki(settings, tmp_path):
    settings.PANHUO_PKI_DIR = tmp_path / "pki"
    return settings.PANHUO_PKI_DIR


@pytest.fixture
def transferring(db):
    return Organization.objects.get(name="茂县教育局")


@pytest.fixture
def receiving(db):
    return OrganizationFactory(name="茂县凤仪镇人民政府", short_name="茂凤仪", kind=OrganizationKind.TOWNSHIP)


@pytest.fixture
def initialized(pki, transferring, receiving):
    out = io.StringIO()
    call_command("init_pki", stdout=out)
    return out.getvalue()


def _sign_two(pdf, boxes, first, second) -> tuple[bytes, bytes]:
    one = sign_pdf(pdf, organization=first, field_name="sig1", page=0, box=boxes["sig-1"], reason="调出")
    two = sign_pdf(one, organization=second, field_name="sig2", page=0, box=boxes["sig-2"], reason="调入")
    return one, two


# --- outside verifier: poppler's pdfsig with our root in an NSS database -------------------------------------------


@pytest.fixture
def pdfsig(pki, tmp_path, initialized):
    if not (shutil.which("pdfsig") and shutil.which("certutil")):
        pytest.skip("poppler-utils and libnss3-tools are needed (make system-packages)")
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    # C,C,C: poppler 22.12 needs the S/MIME trust bit too (shared notes, addendum).
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "C,C,C", "-i", str(pki / "root.cert.pem")],
        check=True,
        capture_output=True,
    )

    def check(pdf: bytes) -> list[str]:
        """pdfsig's report, one string per signature."""
        path = tmp_path / "check.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(
            on_the_clock(["pdfsig", "-nssdir", f"sql:{nss}", "-no-ocsp", str(path)]), capture_output=True, text=True
        ).stdout
        return out.split("Signature #")[1:]

    return check


# --- init_pki -----------------------------------------------------------------------------------------------------


def test_init_pki_creates_root_and_one_certificate_per_active_organization_then_finds_them(
    pki, transferring, receiving
):
    inactive = OrganizationFactory(name="茂县已撤并单位", short_name="茂撤", is_active=False)
    active = Organization.objects.filter(is_active=True).count()

    out = io.StringIO()
    call_command("init_pki", stdout=out)
    assert "根证书：新建" in out.getvalue()
    assert f"单位证书新建 {active} 个，已有 0 个" in out.getvalue()
    assert not (pki / "orgs" / str(inactive.pk)).exists()

    again = io.StringIO()
    call_command("init_pki", stdout=again)
    assert "根证书：已存在" in again.getvalue()
    assert f"单位证书新建 0 个，已有 {active} 个，更新 0 个" in again.getvalue()

    root = x509.load_pem_x509_certificate((pki / "root.cert.pem").read_bytes())
    assert "茂县闲置低效资产盘活利用系统根证书 G1" in root.subject.rfc4514_string()
    folder = pki / "orgs" / str(transferring.pk)
    serial = (folder / "current").read_text().strip()
    leaf = x509.load_pem_x509_certificate((folder / f"{serial}.cert.pem").read_bytes())
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "茂县教育局"
    assert leaf.issuer == root.subject
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) and leaf.public_key().curve.name == "secp256r1"
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints)


def test_init_pki_refuses_to_rotate_an_unknown_organization(pki, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有编号为 999999 的单位"):
        call_command("init_pki", "--rotate", "999999", stdout=io.StringIO())
    assert not pki.exists()


def test_init_pki_keeps_keys_private(pki, initialized):
    keys = list(pki.rglob("*.key.pem"))
    assert len(keys) == Organization.objects.filter(is_active=True).count() + 2  # + the root and the archive seal
    for path in keys:
        assert path.stat().st_mode & 0o777 == 0o600, path
    for path in [pki, *[p for p in pki.rglob("*") if p.is_dir()]]:
        assert path.stat().st_mode & 0o777 == 0o700, path


def test_pki_init_returns_counts_and_issues_to_a_new_organization(pki, transferring, initialized):
    newcomer = OrganizationFactory(name="茂县乡村振兴局", short_name="茂振兴")
    with pytest.raises(PkiError, match=r"还没有签名证书.*init_pki"):
        signing.signer_for(newcomer)
    result = signing.pki_init(organizations=[transferring, newcomer])
    assert result == {"root": "found", "created": 1, "found": 1, "renewed": 0}
    assert signing.signer_for(newcomer).signing_cert.subject.native["common_name"] == "茂县乡村振兴局"


def test_a_renamed_organization_gets_a_certificate_in_its_new_name(pki, transferring, initialized):
    transferring.name = "茂县教育和体育局"
    transferring.save()
    assert signing.pki_init(organizations=[transferring])["renewed"] == 1
    assert signing.signer_for(transferring).signing_cert.subject.native["organization_name"] == "茂县教育和体育局"


def test_root_certificate_pem_and_fingerprint(pki, initialized):
    pem = signing.root_certificate_pem()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert signing.root_fingerprint() == x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256()).hex().upper()


def test_without_init_pki_signing_says_what_to_run(pki, transferring, form):
    with pytest.raises(PkiError, match="init_pki"):
        sign_pdf(form[0], organization=transferring, field_name="sig1", box=form[1]["sig-1"], reason="调出")


# --- signing and verifying genuine files ---------------------------------------------------------------------------


def test_a_visibly_signed_pdf_is_valid_for_pyhanko_and_for_pdfsig(initialized, transferring, form, pdfsig):
    pdf, boxes = form
    signed = sign_pdf(pdf, organization=transferring, field_name="sig1", page=0, box=boxes["sig-1"], reason="调出")
    assert signed.startswith(pdf)  # an incremental update: the rendered bytes are untouched

    verdict = verify_pdf(signed)
    assert isinstance(verdict, Verdict)
    assert (verdict.valid, verdict.code, verdict.message) == (True, "valid", "签名有效，文件未被改动。")
    [info] = verdict.signatures
    assert info["field"] == "sig1"
    assert info["signer"] == info["organization"] == "茂县教育局"
    assert info["organization_id"] == transferring.pk
    assert info["intact"] and info["trusted"] and info["coverage"] == "ENTIRE_FILE"
    assert abs(info["signed_at"] - CLOCK) < datetime.timedelta(minutes=1)

    [report] = pdfsig(signed)
    assert "Signer Certificate Common Name: 茂县教育局" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report


def test_transfer_order_countersigned_both_signatures_valid(initialized, transferring, receiving, form, pdfsig):
    pdf, boxes = form
    one, two = _sign_two(pdf, boxes, transferring, receiving)
    assert two.startswith(one)

    verdict = verify_pdf(two)
    assert verdict.code == "valid", verdict
    first, second = verdict.signatures
    assert (first["organization"], second["organization"]) == ("茂县教育局", "茂县凤仪镇人民政府")
    assert first["coverage"] == "ENTIRE_REVISION" and first["modification"] == "FORM_FILLING"
    assert second["coverage"] == "ENTIRE_FILE"

    reports = pdfsig(two)
    assert len(reports) == 2
    for report in reports:
        assert "Signature is Valid." in report and "Certificate is Trusted." in report
    assert "Total document signed" in reports[1]

    _artifacts_write(two)


def test_an_invisible_signature_and_a_field_the_template_made_are_signed_too(initialized, transferring, form):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    pdf, boxes = form
    assert verify_pdf(sign_pdf(pdf, organization=transferring, field_name="sig1", reason="同意")).code == "valid"

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    fields.append_signature_field(writer, fields.SigFieldSpec("sig1", on_page=0, box=boxes["sig-1"]))
    out = io.BytesIO()
    writer.write(out)
    signed = sign_pdf(out.getvalue(), organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="同意")
    assert verify_pdf(signed).code == "valid"


def test_rotation_keeps_documents_signed_with_the_old_certificate_valid(initialized, transferring, receiving, form):
    pdf, boxes = form
    old = sign_pdf(pdf, organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="调出")
    old_serial = verify_pdf(old).signatures[0]["serial"]

    out = io.StringIO()
    call_command("init_pki", "--rotate", str(transferring.pk), stdout=out)
    assert "轮换签名证书：茂县教育局" in out.getvalue()
    assert len(list((signing.pki_dir() / "orgs" / str(transferring.pk)).glob("*.key.pem"))) == 2

    new = sign_pdf(pdf, organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="调出")
    assert verify_pdf(new).signatures[0]["serial"] != old_serial
    assert verify_pdf(new).code == "valid"
    assert verify_pdf(old).code == "valid"
    # and a document begun with the old certificate is countersigned as usual
    countersigned = sign_pdf(old, organization=receiving, field_name="sig2", box=boxes["sig-2"], reason="调入")
    assert verify_pdf(countersigned).code == "valid"


def test_a_document_stays_valid_after_the_certificate_expired(initialized, transferring, form, monkeypatch):
    signed = sign_pdf(form[0], organization=transferring, field_name="sig1", box=form[1]["sig-1"], reason="调出")
    eleven_years_on = CLOCK + datetime.timedelta(days=365 * 11)
    monkeypatch.setattr(signing, "_now", lambda: eleven_years_on)
    # The certificate (10 years) is judged at the time the signature states, as Acrobat does by default.
    assert verify_pdf(signed).code == "valid"


def test_a_rotation_by_another_process_is_picked_up_by_the_cached_signer(initialized, transferring):
    before = signing.signer_for(transferring)
    assert signing.signer_for(transferring) is before
    cert = signing.certificate_rotate(transferring)
    after = signing.signer_for(transferring)
    assert after is not before and after.signing_cert.serial_number == cert.serial_number


def test_signing_and_verifying_also_work_inside_an_event_loop(initialized, transferring, form):
    import asyncio

    pdf, boxes = form

    async def in_async_view():
        signed = sign_pdf(pdf, organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="调出")
        return verify_pdf(signed)

    assert asyncio.run(in_async_view()).code == "valid"


def test_a_low_box_gets_the_lines_with_the_seal_pressed_over_them(initialized, transferring, form):
    pdf, _ = form
    signed = sign_pdf(pdf, organization=transferring, field_name="sig1", box=(60, 60, 300, 100), reason="调出")
    assert verify_pdf(signed).code == "valid"


# --- what the verifier refuses -------------------------------------------------------------------------------------


def test_one_byte_changed_fails_pyhanko_and_pdfsig(initialized, transferring, receiving, form, pdfsig):
    pdf, boxes = form
    _, signed = _sign_two(pdf, boxes, transferring, receiving)
    # One byte inside the page's (compressed) content stream, which both signatures cover.
    at = signed.index(b"stream", signed.index(b"/Contents")) + 400
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]

    verdict = verify_pdf(tampered)
    assert (verdict.valid, verdict.code, verdict.message) == (False, "altered", "文件在签署后被修改过。")
    assert not any(s["intact"] for s in verdict.signatures)
    for report in pdfsig(tampered):
        assert "Signature is Valid." not in report
        assert "Digest Mismatch." in report


def _append_unsigned_revision(pdf: bytes) -> bytes:
    """What a forger does with a PDF editor: a new revision that paints over the page, no signature."""
    from pyhanko.pdf_utils.content import RawContent
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    RawContent(b"q 1 g 60 300 200 60 re f 0 g BT /Helv 12 Tf 70 320 Td (VOID) Tj ET Q").add_to_page(writer, 0)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_appended_unsigned_revision_fails_ours_although_pdfsig_still_says_valid(
    initialized, transferring, form, pdfsig
):
    pdf, boxes = form
    signed = sign_pdf(pdf, organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="调出")
    appended = _append_unsigned_revision(signed)
    assert appended.startswith(signed)

    verdict = verify_pdf(appended)
    assert (verdict.valid, verdict.code, verdict.message) == (False, "appended", "签署后文件被追加了未签名的修订。")
    assert verdict.signatures[0]["intact"] and verdict.signatures[0]["coverage"] != "ENTIRE_FILE"
    # Why pdfsig alone is not enough: the signed range is intact, it only notes the file is longer.
    [report] = pdfsig(appended)
    assert "Signature is Valid." in report and "Not total document signed" in report


def test_an_unsigned_revision_between_two_signatures_is_caught(initialized, transferring, receiving, form):
    pdf, boxes = form
    one = sign_pdf(pdf, organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="调出")
    two = sign_pdf(
        _append_unsigned_revision(one), organization=receiving, field_name="sig2", box=boxes["sig-2"], reason="调入"
    )
    verdict = verify_pdf(two)
    assert verdict.code == "appended"
    assert [s["code"] for s in verdict.signatures] == ["appended", "valid"]


def _foreign_signer(subject: x509.Name | None = None):
    """A signer from a CA this deployment never made; with `subject` its root copies that DN (an impostor)."""
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    now = CLOCK
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "某某县电子签章根CA")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "茂县教育局")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    der = serialization.Encoding.DER
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(leaf.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(root.public_bytes(der))]),
    )


def _pyhanko_sign(pdf: bytes, signer) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name="sig1", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    return signers.PdfSigner(meta, signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf))).getvalue()


def test_a_pdf_signed_under_another_ca_is_not_ours(initialized, form):
    verdict = verify_pdf(_pyhanko_sign(form[0], _foreign_signer()))
    assert (verdict.valid, verdict.code, verdict.message) == (False, "not_ours", "该文件不是本系统签发的。")
    assert verdict.signatures[0]["intact"] and not verdict.signatures[0]["trusted"]


def test_a_ca_posing_as_ours_is_an_untrusted_issuer(initialized, form, pdfsig):
    ours = x509.load_pem_x509_certificate(signing.root_certificate_pem())
    forged = _pyhanko_sign(form[0], _foreign_signer(subject=ours.subject))
    verdict = verify_pdf(forged)
    assert (verdict.valid, verdict.code, verdict.message) == (False, "unknown_issuer", "签发机构不被信任。")
    [report] = pdfsig(forged)
    assert "Certificate is Trusted." not in report


def test_a_pdf_with_more_signatures_than_ours_ever_carry_is_not_checked_one_by_one(initialized, transferring, form):
    pdf = form[0]
    for i in range(signing.MAX_SIGNATURES + 1):
        pdf = sign_pdf(pdf, organization=transferring, field_name=f"sig{i}", reason="调出")
    assert verify_pdf(pdf).code == "not_ours"


def test_a_pdf_without_signature_is_not_ours(initialized, form):
    verdict = verify_pdf(form[0])
    assert (verdict.valid, verdict.code, verdict.signatures) == (False, "not_ours", [])


@pytest.mark.parametrize("data", [b"", b"not a pdf at all", b"%PDF-1.7\n" + bytes(range(256)) * 40])
def test_garbage_is_unreadable(initialized, data):
    verdict = verify_pdf(data)
    assert (verdict.valid, verdict.code, verdict.message) == (False, "unreadable", "无法读取该 PDF 文件。")


def test_a_truncated_signed_file_is_refused_without_raising(initialized, transferring, form):
    signed = sign_pdf(form[0], organization=transferring, field_name="sig1", box=form[1]["sig-1"], reason="调出")
    for cut in (len(signed) - 1000, len(signed) // 2, 2000):
        verdict = verify_pdf(signed[:cut])
        assert not verdict.valid and verdict.code in {"unreadable", "altered", "not_ours"}


def test_verifying_before_init_pki_trusts_nothing(pki, form):
    signed = _pyhanko_sign(form[0], _foreign_signer())
    assert verify_pdf(signed).code == "not_ours"


# --- the seal ------------------------------------------------------------------------------------------------------


def test_the_seal_is_drawn_from_the_name_red_on_transparent():
    png = signing.seal_png("茂县凤仪镇人民政府")
    assert png == signing.seal_png("茂县凤仪镇人民政府")  # cached
    assert png != signing.seal_png("茂县教育局")
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGBA" and image.size == (signing.SEAL_PIXELS, signing.SEAL_PIXELS)
    assert image.getpixel((0, 0))[3] == 0  # corners transparent
    red = [px for px in image.get_flattened_data() if px[3] > 200]
    assert len(red) > 2000 and all(px[0] > 150 and px[1] < 80 for px in red)


def test_signing_is_fast_with_the_cached_signer_and_font(initialized, transferring, form):
    pdf, boxes = form
    for _ in range(3):  # warm-up: imports, the organization's font and seal
        sign_pdf(pdf, organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="调出")
    times = []
    for _ in range(7):
        started = time.perf_counter()
        sign_pdf(pdf, organization=transferring, field_name="sig1", box=boxes["sig-1"], reason="调出")
        times.append(time.perf_counter() - started)
    # ~20 ms on the 2-vCPU dev machine; a generous bound that still catches per-signature font subsetting (~200 ms).
    assert statistics.median(times) < 0.15


def _artifacts_write(pdf: bytes) -> None:
    """The countersigned page and the seals as PNGs, to look at (artifacts/ is not versioned)."""
    if not shutil.which("pdftoppm"):
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "signed-transfer-order.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-singlefile", "signed-transfer-order.pdf", "signed-transfer-order"],
        cwd=ARTIFACTS,
        check=True,
    )
    for name in ("茂县教育局", "茂县凤仪镇人民政府", "中共茂县委员会组织部"):
        (ARTIFACTS / f"seal-{name}.png").write_bytes(signing.seal_png(name))


def test_a_unit_with_a_long_name_signs_and_is_named_whole(pki, initialized, form, pdfsig):
    # 28 characters (84 bytes of UTF-8): over X.509's 64 for a commonName, so the name is cut there and kept whole
    # in the organizationName, which is what the verification page and pyHanko's reading show.
    long_name = "茂县闲置低效资产资源盘活利用工作领导小组协调机制办公室"
    office = OrganizationFactory(name=long_name, short_name="茂盘活办")
    signing.pki_init(organizations=[office])
    subject = signing.signer_for(office).signing_cert.subject.native
    assert len(subject["common_name"].encode()) <= 64 and subject["common_name"].endswith("…")
    assert long_name.startswith(subject["common_name"][:-1]) and subject["organization_name"] == long_name

    pdf, boxes = form
    signed = sign_pdf(pdf, organization=office, field_name="sig1", page=0, box=boxes["sig-1"], reason="出具")
    verdict = verify_pdf(signed)
    assert verdict.valid, verdict.message
    [info] = verdict.signatures
    assert info["signer"] == info["organization"] == long_name
    [report] = pdfsig(signed)
    assert "Signature is Valid." in report
