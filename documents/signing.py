"""Signing and verifying the step documents: the deployment's own CA and PAdES signatures (pyHanko).

Everything about the signature scheme lives in this module, so another scheme (SM2/SM3 e-seals through a
provincial platform, say) can be added beside it without touching the callers.

* PKI, on disk outside the database (`settings.PANHUO_PKI_DIR`, created by `manage.py init_pki`)::

      root.key.pem  root.cert.pem                 the deployment's root CA (EC P-256)
      orgs/<org id>/<serial hex>.key.pem|.cert.pem one EC P-256 signing certificate per organization and issue
      orgs/<org id>/current                        serial (hex) of the certificate the organization signs with

  Keys are mode 0600, folders 0700. A new certificate (`certificate_rotate`) only moves `current`: the old
  certificate stays in place and stays valid, so documents signed with it keep verifying.
* Signing (`sign_pdf`): PAdES B-B (ETSI.CAdES.detached, SHA-256, ECDSA), always an incremental update, so a
  countersignature leaves the first signature intact. The visible appearance is the organization's red seal (drawn
  here from its name) with "签署单位 / 时间" under it, in the template's box.
* Verifying (`verify_pdf`): pyHanko's verdict for every signature, trusting only our root, offline; and the last
  signature must cover the whole file, which is what catches an unsigned revision appended after signing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import fcntl
import functools
import io
import logging
import math
import os
import subprocess
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

logger = logging.getLogger(__name__)

COUNTY = "茂县"
PROVINCE = "四川省"
SYSTEM_NAME = "茂县闲置低效资产盘活利用系统"
ROOT_COMMON_NAME = f"{SYSTEM_NAME}根证书 G1"
ROOT_VALIDITY = datetime.timedelta(days=365 * 30)
LEAF_VALIDITY = datetime.timedelta(days=365 * 10)
# A certificate this close to its end is renewed by init_pki (old documents keep verifying: see verify_pdf).
LEAF_RENEW_BEFORE = datetime.timedelta(days=90)
# Certificates start a day before they are made: a verifier (or a server restored from a backup) whose clock is
# behind still finds them valid at the signing time.
BACKDATE = datetime.timedelta(days=1)
# poppler 22.12's pdfsig misreports a leaf without EKU and a CRL distribution point (shared notes §4.1). No CRL is
# published yet; the address is where one would go.
CRL_URL = "http://panhuo.invalid/pki/root.crl"
# RFC 9336 id-kp-documentSigning
DOCUMENT_SIGNING_EKU = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
ORG_SERIAL_PREFIX = "PANHUO-ORG-"

STAMP_TEXT_FONT = ("Noto Serif CJK SC", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2)
SERIF_BOLD_FONT = ("Noto Serif CJK SC:bold", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2)
STAMP_LABELS = "签署单位：时间0123456789-: "
SEAL_RED = (212, 22, 32)
SEAL_PIXELS = 240


class PkiError(RuntimeError):
    """The deployment's PKI is missing or incomplete; the message says what to run (in Chinese)."""


# --------------------------------------------------------------------------------------------------------------
# PKI on disk


def pki_dir() -> Path:
    return Path(settings.PANHUO_PKI_DIR)


def _root_key_path() -> Path:
    return pki_dir() / "root.key.pem"


def _root_cert_path() -> Path:
    return pki_dir() / "root.cert.pem"


def _org_dir(organization_id: int) -> Path:
    return pki_dir() / "orgs" / str(int(organization_id))


def _mkdir_private(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    """Atomically: a reader sees the old file or the whole new one, never half of it; the mode is set before any
    byte is written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@contextlib.contextmanager
def _pki_lock():
    """Serializes PKI changes between processes (web and worker may both run init_pki on start)."""
    _mkdir_private(pki_dir())
    fd = os.open(pki_dir() / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey, encoding=serialization.Encoding.PEM) -> bytes:
    return key.private_bytes(encoding, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _root_create() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    # The serialNumber attribute makes the DN unique per CA generation: a root made again after the PKI folder was
    # lost must not share its DN with the old one (pyhanko-certvalidator mixes up same-DN roots, shared notes §4.3).
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, PROVINCE),
            x509.NameAttribute(NameOID.LOCALITY_NAME, COUNTY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, SYSTEM_NAME),
            x509.NameAttribute(NameOID.COMMON_NAME, ROOT_COMMON_NAME),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"{now:%Y%m%d}-{os.urandom(4).hex().upper()}"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # Key first: a root certificate without its key would look initialized and could never issue.
    _write_file(_root_key_path(), _key_pem(key), 0o600)
    _write_file(_root_cert_path(), cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _root_load() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    try:
        key = serialization.load_pem_private_key(_root_key_path().read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(_root_cert_path().read_bytes())
    except FileNotFoundError as exc:
        raise PkiError(f"根证书或其密钥不在 {pki_dir()}，请先运行 python manage.py init_pki。") from exc
    return key, cert


# X.509 bounds a commonName at 64 (cryptography counts UTF-8 bytes: 21 Chinese characters). A longer unit name is
# cut to fit, ending in …; the organizationName carries it whole, and the signer shown is that whole name.
COMMON_NAME_MAX_BYTES = 64
ELLIPSIS = "…"


def common_name_for(name: str) -> str:
    if len(name.encode()) <= COMMON_NAME_MAX_BYTES:
        return name
    room = COMMON_NAME_MAX_BYTES - len(ELLIPSIS.encode())
    cut = name.encode()[:room].decode("utf-8", "ignore")
    return cut + ELLIPSIS


def _signer_name(subject: asn1_x509.Name) -> str:
    """Who signed, as people read it: the commonName, or the whole organizationName it was cut from."""
    common, organization = _name_value(subject, "common_name"), _name_value(subject, "organization_name")
    if common.endswith(ELLIPSIS) and organization.startswith(common[: -len(ELLIPSIS)]):
        return organization
    return common


def _certificate_issue(organization, root_key, root_cert: x509.Certificate) -> x509.Certificate:
    # The serialNumber says which organization of this deployment signed, even after it is renamed.
    return _leaf_issue(
        _org_dir(organization.pk), root_key, root_cert, organization_name=organization.name,
        common_name=common_name_for(organization.name), serial=f"{ORG_SERIAL_PREFIX}{organization.pk}",
        usages=[ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_EKU],
    )  # fmt: skip


def _leaf_issue(
    folder: Path,
    root_key,
    root_cert: x509.Certificate,
    *,
    organization_name: str,
    common_name: str,
    serial: str,
    usages: list,
) -> x509.Certificate:
    """A signing certificate under the root, its key and certificate written to `folder`, then marked current."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, PROVINCE),
            x509.NameAttribute(NameOID.LOCALITY_NAME, COUNTY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + LEAF_VALIDITY, root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation: pyHanko's validator asks for it on signing certificates
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(CRL_URL)], None, None, None)]
            ),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    _mkdir_private(folder)
    serial_hex = f"{cert.serial_number:x}"
    _write_file(folder / f"{serial_hex}.key.pem", _key_pem(key), 0o600)
    _write_file(folder / f"{serial_hex}.cert.pem", cert.public_bytes(serialization.Encoding.PEM), 0o644)
    # Last: the marker only ever names a certificate whose key is already on disk.
    _write_file(folder / "current", f"{serial_hex}\n".encode(), 0o600)
    return cert


def _folder_current(folder: Path) -> tuple[str, x509.Certificate] | None:
    """The serial and certificate `folder` marks current, when its key is on disk too."""
    try:
        serial = (folder / "current").read_text().strip()
    except FileNotFoundError:
        return None
    if not serial or not (folder / f"{serial}.key.pem").exists():
        return None
    try:
        return serial, x509.load_pem_x509_certificate((folder / f"{serial}.cert.pem").read_bytes())
    except (FileNotFoundError, ValueError):
        return None


def _current_serial(organization_id: int) -> str | None:
    try:
        return (_org_dir(organization_id) / "current").read_text().strip() or None
    except FileNotFoundError:
        return None


def _current_certificate(organization_id: int) -> x509.Certificate | None:
    current = _folder_current(_org_dir(organization_id))
    return current[1] if current else None


def _subject_value(cert: x509.Certificate, oid) -> str:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def pki_init(*, organizations, stdout=None) -> dict:
    """Creates whatever is missing: the root CA, and a signing certificate for each organization given. Safe to run
    again: what exists is kept. An organization whose certificate names it differently (renamed) or ends within 90
    days gets a new one; its old certificate stays valid for the documents signed with it.

    Returns {"root": "created" | "found", "created": n, "found": m, "renewed": k}; `stdout` (anything with
    .write) gets the root's name and fingerprint and one line per certificate issued."""

    def say(line: str) -> None:
        if stdout is not None:
            stdout.write(line)

    result = {"root": "found", "created": 0, "found": 0, "renewed": 0}
    with _pki_lock():
        _mkdir_private(pki_dir())
        _mkdir_private(pki_dir() / "orgs")
        if not _root_cert_path().exists():
            if _root_key_path().exists():
                raise PkiError(f"{_root_key_path()} 存在而根证书不存在，请人工检查 PKI 目录。")
            _root_create()
            result["root"] = "created"
        root_key, root_cert = _root_load()
        root_fingerprint = root_cert.fingerprint(hashes.SHA256()).hex().upper()
        state = "新建" if result["root"] == "created" else "已存在"
        say(f"根证书：{state} {_subject_value(root_cert, NameOID.COMMON_NAME)}")
        say(f"  SHA-256 指纹：{root_fingerprint}")
        renew_at = _now() + LEAF_RENEW_BEFORE
        for organization in organizations:
            cert = _current_certificate(organization.pk)
            if cert is not None and cert.issuer != root_cert.subject:
                cert = None  # issued by a root that is gone: useless for signing
            if cert is None:
                cert = _certificate_issue(organization, root_key, root_cert)
                result["created"] += 1
                say(f"新建签名证书：{organization.name}（序列号 {cert.serial_number:x}）")
            elif (
                _subject_value(cert, NameOID.ORGANIZATION_NAME) != organization.name
                or cert.not_valid_after_utc < renew_at
            ):
                cert = _certificate_issue(organization, root_key, root_cert)
                result["renewed"] += 1
                say(f"更新签名证书：{organization.name}（新序列号 {cert.serial_number:x}）")
            else:
                result["found"] += 1
    return result


def certificate_rotate(organization) -> x509.Certificate:
    """Issues a new signing certificate to the organization and makes it the one it signs with from now on. The old
    certificate is kept and stays valid: documents signed with it keep verifying."""
    with _pki_lock():
        root_key, root_cert = _root_load()
        return _certificate_issue(organization, root_key, root_cert)


def root_certificate_pem() -> bytes:
    """The root certificate to publish: whoever trusts it can check our documents in any PDF reader."""
    try:
        return _root_cert_path().read_bytes()
    except FileNotFoundError as exc:
        raise PkiError(f"尚未创建根证书（{pki_dir()}），请先运行 python manage.py init_pki。") from exc


def root_fingerprint() -> str:
    """SHA-256 of the root certificate (DER), upper-case hex, as shown next to the published root."""
    cert = x509.load_pem_x509_certificate(root_certificate_pem())
    return cert.fingerprint(hashes.SHA256()).hex().upper()


# --------------------------------------------------------------------------------------------------------------
# Signers, cached per process


def _signer_class():
    from pyhanko.sign import signers

    class CachedKeySigner(signers.SimpleSigner):
        """SimpleSigner parses its private key again on every signature (twice: size estimate and real run); this
        one keeps the parsed key."""

        def __init__(self, *args, private_key, **kwargs):
            super().__init__(*args, **kwargs)
            self._private_key = private_key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
            from pyhanko.sign.general import get_pyca_cryptography_hash

            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if mechanism == "ecdsa":
                return self._private_key.sign(data, ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)

    return CachedKeySigner


@dataclass
class _CachedSigner:
    serial: str
    signer: Any
    # Room for the CMS in the signature dictionary, measured once: what pyHanko would otherwise estimate with a dry-run
    # signature on every call (about 40 % of the signing time).
    bytes_reserved: int


_signers: dict[tuple[str, int], _CachedSigner] = {}
_signers_lock = threading.Lock()


def signer_for(organization):
    """The pyHanko signer of the organization's current certificate, cached per process (a rotation done by another
    process is picked up: the `current` marker is read every time)."""
    return _cached_signer(organization).signer


def _cached_signer(organization) -> _CachedSigner:
    serial = _current_serial(organization.pk)
    cache_key = (str(pki_dir()), organization.pk)
    with _signers_lock:
        cached = _signers.get(cache_key)
        if cached is not None and cached.serial == serial:
            return cached
    if serial is None:
        raise PkiError(f"单位“{organization.name}”还没有签名证书，请先运行 python manage.py init_pki。")
    from asn1crypto import keys as asn1_keys
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    folder = _org_dir(organization.pk)
    try:
        key_pem = (folder / f"{serial}.key.pem").read_bytes()
        cert = load_cert_from_pemder(str(folder / f"{serial}.cert.pem"))
        root = load_cert_from_pemder(str(_root_cert_path()))
    except FileNotFoundError as exc:
        raise PkiError(
            f"单位“{organization.name}”的签名证书文件不完整（{folder}），请运行 python manage.py init_pki。"
        ) from exc
    private_key = serialization.load_pem_private_key(key_pem, password=None)
    signer = _signer_class()(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(_key_pem(private_key, serialization.Encoding.DER)),
        cert_registry=SimpleCertificateStore.from_certs([root]),
        private_key=private_key,
    )
    cached = _CachedSigner(serial=serial, signer=signer, bytes_reserved=_container_size(signer))
    with _signers_lock:
        _signers[cache_key] = cached
    return cached


def _container_size(signer) -> int:
    """What pyHanko's own estimate gives (PdfSigningSession.estimate_signature_container_size): a dry-run CMS of
    this signer, times two for hex, plus 50 %. Our signed attributes and certificates do not vary between signatures;
    only the ECDSA value may differ by a few bytes."""
    import hashlib

    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    cms = _run(
        signer.async_sign(
            hashlib.sha256().digest(),
            "sha256",
            use_pades=True,
            dry_run=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=_now()),
        )
    )
    test_len = len(cms.dump()) * 2
    return test_len + 2 * (test_len // 4)


# --------------------------------------------------------------------------------------------------------------
# Fonts


@functools.cache
def _font_file(spec: tuple[str, str, int]) -> tuple[str, int]:
    """(path, face index) of a CJK font: the Debian path when it is there, else what fontconfig finds."""
    pattern, path, index = spec
    if Path(path).exists():
        return path, index
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}\n%{family}", pattern],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError) as exc:
        raise PkiError(f"找不到签章字体 {pattern}，请安装 fonts-noto-cjk。") from exc
    if len(out) < 3 or "CJK" not in out[2]:
        raise PkiError(f"找不到签章字体 {pattern}，请安装 fonts-noto-cjk。")
    return out[0], int(out[1] or 0)


@functools.cache
def _hb_face(spec: tuple[str, str, int]):
    import uharfbuzz as hb

    path, index = _font_file(spec)
    return hb.Face(hb.Blob.from_file_path(path), index)


def _pdf_flate(data: bytes) -> bytes:
    return zlib.compress(data, 6)


class _StampFont:
    """A CID-keyed CFF font holding only the glyphs of the stamp text of one organization, made once per process
    with HarfBuzz's subsetter (~1–3 ms) and embedded as it is: no subsetting per signature (pyHanko's own
    GlyphAccumulator runs fontTools on every signature, 50–200 ms). The PDF objects' bytes are prepared here too;
    each signature only adds them to its revision."""

    def __init__(self, chars: str):
        import uharfbuzz as hb
        from fontTools import ttLib

        face = _hb_face(STAMP_TEXT_FONT)
        subset_input = hb.SubsetInput()
        subset_input.sets(hb.SubsetInputSets.UNICODE).update(ord(c) for c in chars)
        drop = subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
        for tag in ("GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"):
            drop.add(int.from_bytes(tag.encode("ascii"), "big"))
        subset_input.flags = hb.SubsetFlags.NO_LAYOUT_CLOSURE
        data = bytes(hb.subset(face, subset_input).blob.data)
        self.hb_font = hb.Font(hb.Face(data))

        tt = ttLib.TTFont(io.BytesIO(data))
        cff = tt["CFF "].cff
        top = cff[0]
        ros = getattr(top, "ROS", None)
        order = tt.getGlyphOrder()
        if ros is not None:
            self.cid_of_gid = [0 if n == ".notdef" else int(n[3:]) for n in order]
        else:  # name-keyed CFF: CIDs are glyph ids
            self.cid_of_gid = list(range(len(order)))
        self.ros = ros or ("Adobe", "Identity", 0)
        self.units_per_em = tt["head"].unitsPerEm
        hmtx = tt["hmtx"]
        self.width_of_gid = [hmtx[n][0] for n in order]
        self.ps_name = tt["name"].getDebugName(6) or "NotoSerifCJKsc-Regular"
        head, hhea, os2 = tt["head"], tt["hhea"], tt["OS/2"]
        scale = 1000 / self.units_per_em
        self.descriptor = {
            "ascent": round(hhea.ascent * scale),
            "descent": round(hhea.descent * scale),
            "bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
            "cap_height": round(getattr(os2, "sCapHeight", 700) * scale),
            "stem_v": int(10 + 220 * (os2.usWeightClass - 50) / 900),
        }
        self.program = _pdf_flate(tt.getTableData("CFF "))
        cid_width = sorted({(cid, round(w * scale)) for cid, w in zip(self.cid_of_gid, self.width_of_gid, strict=True)})
        self.widths = cid_width
        unicode_cid = sorted(
            (cp, self.cid_of_gid[order.index(name)]) for cp, name in tt.getBestCmap().items() if name in order
        )
        self.to_unicode = _pdf_flate(_to_unicode_cmap(unicode_cid))

    def line(self, text: str) -> tuple[bytes, float]:
        """`[<cids>] TJ` for the text, and its advance in em."""
        import uharfbuzz as hb

        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(self.hb_font, buf, {"kern": True})
        parts: list[str] = []
        run: list[str] = []
        total = 0
        scale = 1000 / self.units_per_em
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
            run.append(f"{self.cid_of_gid[info.codepoint]:04x}")
            total += pos.x_advance
            adjust = round((self.width_of_gid[info.codepoint] - pos.x_advance) * scale)
            if adjust:
                parts.append(f"<{''.join(run)}> {adjust}")
                run = []
        if run:
            parts.append(f"<{''.join(run)}>")
        return f"[{' '.join(parts)}] TJ".encode("ascii"), total / self.units_per_em

    def embed(self, writer):
        """Adds the font to the writer's revision; returns the reference to its Type0 font dictionary."""
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.generic import pdf_name

        def stream(data: bytes, extra: dict | None = None):
            entries = {pdf_name("/Filter"): pdf_name("/FlateDecode"), **(extra or {})}
            return writer.add_object(generic.StreamObject(entries, encoded_data=data))

        tag = "".join(chr(ord("A") + b % 26) for b in os.urandom(6))
        base_font = f"{tag}+{self.ps_name}"
        d = self.descriptor
        descriptor = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/FontDescriptor"),
                pdf_name("/FontName"): pdf_name(f"/{base_font}"),
                pdf_name("/Flags"): generic.NumberObject(6),  # serif, symbolic (a CID font)
                pdf_name("/FontBBox"): generic.ArrayObject(generic.NumberObject(v) for v in d["bbox"]),
                pdf_name("/ItalicAngle"): generic.NumberObject(0),
                pdf_name("/Ascent"): generic.NumberObject(d["ascent"]),
                pdf_name("/Descent"): generic.NumberObject(d["descent"]),
                pdf_name("/CapHeight"): generic.NumberObject(d["cap_height"]),
                pdf_name("/StemV"): generic.NumberObject(d["stem_v"]),
                pdf_name("/FontFile3"): stream(self.program, {pdf_name("/Subtype"): pdf_name("/CIDFontType0C")}),
            }
        )
        widths = generic.ArrayObject()
        for cid, width in self.widths:
            widths.append(generic.NumberObject(cid))
            widths.append(generic.ArrayObject([generic.NumberObject(width)]))
        registry, ordering, supplement = self.ros
        cid_font = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/CIDFontType0"),
                pdf_name("/BaseFont"): pdf_name(f"/{base_font}"),
                pdf_name("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        pdf_name("/Registry"): generic.pdf_string(registry),
                        pdf_name("/Ordering"): generic.pdf_string(ordering),
                        pdf_name("/Supplement"): generic.NumberObject(supplement),
                    }
                ),
                pdf_name("/FontDescriptor"): writer.add_object(descriptor),
                pdf_name("/W"): widths,
            }
        )
        type0 = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type0"),
                pdf_name("/BaseFont"): pdf_name(f"/{base_font}"),
                pdf_name("/Encoding"): pdf_name("/Identity-H"),
                pdf_name("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
                pdf_name("/ToUnicode"): stream(self.to_unicode),
            }
        )
        return writer.add_object(type0)


def _to_unicode_cmap(unicode_cid: list[tuple[int, int]]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    pairs = [(cid, cp) for cp, cid in unicode_cid if cid]
    for start in range(0, len(pairs), 100):
        chunk = pairs[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{cid:04x}> <{chr(cp).encode('utf-16-be').hex()}>" for cid, cp in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


@functools.lru_cache(maxsize=512)
def _stamp_font(name: str) -> _StampFont:
    return _StampFont("".join(sorted(set(STAMP_LABELS + name))))


# --------------------------------------------------------------------------------------------------------------
# The seal


@functools.lru_cache(maxsize=512)
def seal_png(name: str) -> bytes:
    """The organization's round red seal as a transparent PNG: its name along the upper arc, a five-pointed star,
    电子签章 underneath. Drawn from the name, so every organization has its own."""
    buf = io.BytesIO()
    _seal_image(name).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


@functools.lru_cache(maxsize=512)
def _seal_image(name: str):
    from PIL import Image, ImageDraw, ImageFont

    over = 4  # drawn 4× larger, then scaled down: Pillow draws without antialiasing
    size = SEAL_PIXELS * over
    c = size / 2
    alpha = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(alpha)
    ring = size * 0.035
    r_out = size / 2 - over * 2
    draw.ellipse((c - r_out, c - r_out, c + r_out, c + r_out), fill=255)
    r_in = r_out - ring
    draw.ellipse((c - r_in, c - r_in, c + r_in, c + r_in), fill=0)

    # The star: five outer points, five inner, the top one straight up.
    r_star = size * 0.15
    star_c = (c, c - size * 0.01)
    points = []
    for i in range(10):
        radius = r_star if i % 2 == 0 else r_star * 0.382
        angle = math.radians(90 + 36 * i)
        points.append((star_c[0] + radius * math.cos(angle), star_c[1] - radius * math.sin(angle)))
    draw.polygon(points, fill=255)

    font_path, font_index = _font_file(SERIF_BOLD_FONT)
    # The name on the upper arc, each character upright towards the rim. Long names get a wider arc and narrower
    # characters, as a real seal engraver would do.
    chars = list(name) or ["　"]
    n = len(chars)
    span = min(250.0, max(150.0, 24.0 * n))
    char_size = size * (0.17 if n <= 6 else 0.16 if n <= 10 else max(0.11, 0.16 * 10 / n))
    squeeze = 1.0 if n <= 8 else max(0.65, 8 / n + 0.15)
    font = ImageFont.truetype(font_path, int(char_size), index=font_index)
    r_text = r_in - ring * 0.8 - char_size * 0.55
    step = span / max(n - 1, 1) if n > 1 else 0
    for i, ch in enumerate(chars):
        angle = 90 + span / 2 - i * step if n > 1 else 90
        tile = Image.new("L", (int(char_size * 1.4), int(char_size * 1.4)), 0)
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), ch, font=font, fill=255, anchor="mm")
        if squeeze != 1.0:
            squeezed = tile.resize((max(1, int(tile.width * squeeze)), tile.height), Image.LANCZOS)
            tile = Image.new("L", tile.size, 0)
            tile.paste(squeezed, ((tile.width - squeezed.width) // 2, 0))
        tile = tile.rotate(angle - 90, resample=Image.BICUBIC, expand=True)
        x = c + r_text * math.cos(math.radians(angle)) - tile.width / 2
        y = c - r_text * math.sin(math.radians(angle)) - tile.height / 2
        alpha.paste(255, (round(x), round(y)), tile)

    # 电子签章, straight, under the star.
    bottom_font = ImageFont.truetype(font_path, int(size * 0.095), index=font_index)
    draw.text((c, c + size * 0.255), "电子签章", font=bottom_font, fill=255, anchor="mm")

    alpha = alpha.resize((SEAL_PIXELS, SEAL_PIXELS), Image.LANCZOS)
    image = Image.new("RGBA", alpha.size, (*SEAL_RED, 0))
    image.putalpha(alpha)
    return image


@dataclass(frozen=True)
class _SealXObject:
    """The seal as PDF image data, compressed once: a flat red RGB image and its alpha as the soft mask."""

    width: int
    height: int
    rgb: bytes
    alpha: bytes

    def embed(self, writer):
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.generic import pdf_name

        def image(data: bytes, colour_space: str, extra: dict):
            entries = {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(self.width),
                pdf_name("/Height"): generic.NumberObject(self.height),
                pdf_name("/ColorSpace"): pdf_name(colour_space),
                pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
                **extra,
            }
            return writer.add_object(generic.StreamObject(entries, encoded_data=data))

        smask = image(self.alpha, "/DeviceGray", {})
        return image(self.rgb, "/DeviceRGB", {pdf_name("/SMask"): smask})


@functools.lru_cache(maxsize=512)
def _seal_xobject(name: str) -> _SealXObject:
    image = _seal_image(name)
    rgb = image.convert("RGB").tobytes()
    alpha = image.getchannel("A").tobytes()
    return _SealXObject(image.width, image.height, _pdf_flate(rgb), _pdf_flate(alpha))


# --------------------------------------------------------------------------------------------------------------
# The visible signature


def _stamp_style_class():
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.content import AppearanceContent, ResourceType
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.stamp import TextStampStyle

    class SealStamp(AppearanceContent):
        """The seal with 签署单位 and 时间 in two lines under it; in a box too low for that, the lines on the left and
        the seal pressed over their end. The seal is multiplied onto what is under it, like ink over print."""

        def __init__(self, writer, box, organization_name: str, signed_at: datetime.datetime):
            super().__init__(writer=writer, box=box)
            self.organization_name = organization_name
            self.signed_at = signed_at

        def render(self) -> bytes:
            width, height = self.box.width, self.box.height
            font = _stamp_font(self.organization_name)
            local = self.signed_at.astimezone(ZoneInfo(settings.TIME_ZONE))
            lines = [f"签署单位：{self.organization_name}", f"时间：{local:%Y-%m-%d %H:%M:%S}"]
            shaped = [font.line(text) for text in lines]
            pad = min(3.0, width * 0.03)
            widest = max(advance for _, advance in shaped) or 1
            size = max(4.0, min(7.5, (width - 2 * pad) / widest))
            leading = size * 1.35
            band = len(lines) * leading + pad
            if height - band >= 0.6 * height:
                # Room enough: the seal on top, the two lines under it, nothing overlapping.
                d = min(width - 2, height - band - 1)
                sx, sy = (width - d) / 2, height - 1 - d
                x = max(pad, (width - widest * size) / 2)
                first = pad + (len(lines) - 1) * leading + size * 0.3
            else:
                # A low box: the lines on the left, the seal pressed over their right end as ink over print.
                d = min(height - 2, width - 2)
                x = pad
                centre = min(width - 1 - d / 2, max(1 + d / 2, x + widest * size - d * 0.3))
                sx, sy = centre - d / 2, (height - d) / 2
                first = height / 2 + leading * (len(lines) - 1) / 2 - size * 0.35
            ops = [b"q 0 g BT"]
            for i, (tj, _) in enumerate(shaped):
                ops.append(b"1 0 0 1 %.2f %.2f Tm /F1 %.2f Tf %s" % (x, first - i * leading, size, tj))
            ops.append(b"ET Q")
            seal = _seal_xobject(self.organization_name)
            ops.append(b"q /GSSeal gs %.2f 0 0 %.2f %.2f %.2f cm /ImSeal Do Q" % (d, d, sx, sy))

            self.set_resource(ResourceType.FONT, pdf_name("/F1"), font.embed(self.writer))
            self.set_resource(ResourceType.XOBJECT, pdf_name("/ImSeal"), seal.embed(self.writer))
            self.set_resource(
                ResourceType.EXT_G_STATE,
                pdf_name("/GSSeal"),
                generic.DictionaryObject(
                    {
                        pdf_name("/Type"): pdf_name("/ExtGState"),
                        pdf_name("/BM"): pdf_name("/Multiply"),
                        pdf_name("/ca"): generic.FloatObject(0.92),
                    }
                ),
            )
            return b" ".join(ops)

    @dataclass(frozen=True)
    class SealStampStyle(TextStampStyle):
        # pyHanko hands a TextStampStyle the signing time (the same instant as the signature's /M) formatted with
        # this; the stamp parses it back and shows it in the deployment's time zone.
        timestamp_format: str = "%Y-%m-%dT%H:%M:%S.%f%z"
        organization_name: str = ""

        def create_stamp(self, writer, box, text_params):
            signed_at = datetime.datetime.strptime(text_params["ts"], self.timestamp_format)
            return SealStamp(writer, box, self.organization_name, signed_at)

    return SealStampStyle


_stamp_style = functools.cache(_stamp_style_class)


def sign_pdf(
    pdf: bytes,
    *,
    organization,
    field_name: str,
    page: int = 0,
    box: tuple[float, float, float, float] | None = None,
    reason: str,
    location: str = COUNTY,
) -> bytes:
    """Signs the PDF for the organization as an incremental update (earlier signatures stay intact) and returns the
    new bytes. With `box` ((x1, y1, x2, y2) in points, origin bottom-left, on page `page`, 0-based) the signature
    is visible there: the organization's seal with 签署单位 and 时间; without it the signature is invisible. A field
    of that name already in the file (an empty one the template made) is used as it is."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    cached = _cached_signer(organization)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=organization.name,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    spec = None
    if box is not None:
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=tuple(float(v) for v in box))
    pdf_signer = signers.PdfSigner(
        meta,
        cached.signer,
        new_field_spec=spec,
        stamp_style=_stamp_style()(organization_name=organization.name, border_width=0),
    )
    return _in_sync_context(lambda: pdf_signer.sign_pdf(writer, bytes_reserved=cached.bytes_reserved).getvalue())


def _in_sync_context(call):
    """pyHanko's synchronous API runs asyncio.run(); inside a running event loop (an async view) that fails, so the
    call goes to a worker thread there."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def _run(coroutine):
    return _in_sync_context(lambda: asyncio.run(coroutine))


# --------------------------------------------------------------------------------------------------------------
# Verifying


MESSAGES = {
    "valid": "签名有效，文件未被改动。",
    "altered": "文件在签署后被修改过。",
    "unknown_issuer": "签发机构不被信任。",
    "not_ours": "该文件不是本系统签发的。",
    "appended": "签署后文件被追加了未签名的修订。",
    "unreadable": "无法读取该 PDF 文件。",
    "too_large": "文件中的压缩数据解压后过大，不像本系统签发的文书，未作核验。",
}


@dataclass
class Verdict:
    valid: bool
    code: str  # one of MESSAGES
    message: str
    # Per signature, in file order: field, signer (CN), organization (O), organization_id (ours only),
    # signed_at (aware datetime | None, as the signer stated it), intact, valid, trusted, coverage, modification,
    # ours, serial, code.
    signatures: list[dict] = field(default_factory=list)


def _verdict(code: str, signatures: list[dict] | None = None) -> Verdict:
    return Verdict(valid=code == "valid", code=code, message=MESSAGES[code], signatures=signatures or [])


def _name_value(name: asn1_x509.Name, key: str) -> str:
    try:
        value = name.native.get(key)
    except Exception:
        return ""
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value or "")


def _root_asn1():
    from pyhanko.keys import load_cert_from_pemder

    path = _root_cert_path()
    if not path.exists():
        return None
    return load_cert_from_pemder(str(path))


MAX_SIGNATURES = 8

# Severity when several signatures disagree: the worst one names the verdict.
_SEVERITY = ["valid", "appended", "unknown_issuer", "not_ours", "altered", "unreadable", "too_large"]


def _decode_limits():
    """What an uploaded PDF may expand to while it is checked (decompression bombs): far above our documents
    (~100 KB, their largest stream a font of ~1 MB), far below what would hurt the server."""
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits

    mib = 1024 * 1024
    return DecodeLimits(
        per_stream=StreamDecodeLimits(max_output_size=16 * mib),
        document_budget=DocumentDecodeBudget(base_allowance=48 * mib, max_ratio=4),
    )


def verify_pdf(pdf: bytes) -> Verdict:
    """Checks every signature of the file with pyHanko, trusting only our root (offline: no fetching, revocation
    soft-fail), and requires the last signature to cover the entire file. Never raises: anything unexpected is an
    invalid verdict with its reason.

    Certificates are judged at the time each signature states (/M, never later than now), as Acrobat does by
    default: a document stays valid after its organization's certificate is renewed or expires."""
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    try:
        return _in_sync_context(lambda: _verify(pdf))
    except PdfDecodeLimitError:
        return _verdict("too_large")
    except Exception:
        logger.exception("verify_pdf failed")
        return _verdict("unreadable")


def _verify(pdf: bytes) -> Verdict:
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        reader = PdfFileReader(io.BytesIO(pdf), strict=False, decode_limits=_decode_limits())
        embedded = list(reader.embedded_regular_signatures)
    except PdfDecodeLimitError:
        return _verdict("too_large")
    except Exception:
        logger.info("verify_pdf: unreadable PDF", exc_info=True)
        return _verdict("unreadable")
    if not embedded or len(embedded) > MAX_SIGNATURES:
        # Ours carry one to three; hundreds would only make the public verification page work for minutes.
        return _verdict("not_ours")
    try:
        root = _root_asn1()
    except Exception:
        logger.exception("verify_pdf: cannot load the root certificate")
        root = None

    results = [_signature_check(sig, root) for sig in embedded]
    last = results[-1]
    if last["code"] == "valid" and last["coverage"] != "ENTIRE_FILE":
        last["code"] = "appended"
    code = max((r["code"] for r in results), key=_SEVERITY.index)
    if len(list(reader.embedded_signatures)) != len(embedded):
        # A document timestamp is not something we add; whatever follows the last signature is not ours.
        code = max(code, "appended", key=_SEVERITY.index)
    return _verdict(code, results)


def _signature_check(sig, root) -> dict:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    info: dict[str, Any] = {
        "field": "",
        "signer": "",
        "organization": "",
        "organization_id": None,
        "signed_at": None,
        "intact": False,
        "valid": False,
        "trusted": False,
        "coverage": "",
        "modification": "",
        "ours": False,
        "serial": "",
        "code": "altered",
    }
    try:
        info["field"] = str(sig.field_name or "")
        cert = sig.signer_cert
        info["signer"] = _signer_name(cert.subject)
        info["organization"] = _name_value(cert.subject, "organization_name")
        info["serial"] = f"{cert.serial_number:x}"
        signed_at = None
        with contextlib.suppress(Exception):  # a garbled /M is no reason to skip the cryptographic checks
            signed_at = sig.self_reported_timestamp
            if signed_at is not None and signed_at.tzinfo is None:
                signed_at = signed_at.replace(tzinfo=datetime.UTC)
        info["signed_at"] = signed_at
        ours = (
            root is not None
            and cert.issuer == root.subject
            and (cert.authority_key_identifier is None or cert.authority_key_identifier == root.key_identifier)
        )
        claims_ours = root is not None and cert.issuer == root.subject
        if ours:
            subject_serial = _name_value(cert.subject, "serial_number")
            if subject_serial.startswith(ORG_SERIAL_PREFIX):
                with contextlib.suppress(ValueError):
                    info["organization_id"] = int(subject_serial[len(ORG_SERIAL_PREFIX) :])
        info["ours"] = ours
        now = _now()
        moment = min(signed_at, now) if signed_at is not None else now
        context = ValidationContext(
            trust_roots=[root] if root is not None else [],
            allow_fetching=False,
            revocation_mode="soft-fail",
            moment=moment,
        )
        status = validate_pdf_signature(sig, context)
    except Exception:
        logger.info("verify_pdf: signature could not be validated", exc_info=True)
        return info
    info.update(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        coverage=status.coverage.name if status.coverage is not None else "",
        modification=status.modification_level.name if status.modification_level is not None else "",
    )
    if not status.intact or not status.valid:
        info["code"] = "altered"
    elif not claims_ours:
        info["code"] = "not_ours"
    elif not status.trusted:
        info["code"] = "unknown_issuer"
    elif not status.bottom_line:
        # Intact and trusted, yet pyHanko says no: what was added after this signature is not allowed.
        info["code"] = "appended"
    else:
        info["code"] = "valid"
    return info


# --------------------------------------------------------------------------------------------------------------
# The system's own certificate and detached CMS signatures (archive manifests)
#
# What the system itself vouches for (the manifest of an archive package) is signed by one certificate of its own,
# issued by the same root, kept next to the organizations' ones:
#
#     system/<serial hex>.key.pem|.cert.pem   the archive signing certificate (EC P-256), key 0600
#     system/current                          serial (hex) of the one signing now
#
# It is created on first use (under the PKI lock), and renewed like an organization's when it nears its end or
# was issued by a root that is gone; old ones stay in place, so packages signed with them keep verifying.

SYSTEM_COMMON_NAME = "盘活系统 档案签章"
# Tells the archive certificate apart from the organizations' ones issued by the same root: an organization's
# document key must not be able to vouch for a package.
SYSTEM_SERIAL = "PANHUO-SYSTEM-ARCHIVE"


def _system_dir() -> Path:
    return pki_dir() / "system"


def _system_certificate_issue(root_key, root_cert: x509.Certificate) -> x509.Certificate:
    return _leaf_issue(
        _system_dir(), root_key, root_cert, organization_name=SYSTEM_NAME, common_name=SYSTEM_COMMON_NAME,
        serial=SYSTEM_SERIAL, usages=[DOCUMENT_SIGNING_EKU],
    )  # fmt: skip


def _system_current() -> tuple[str, x509.Certificate] | None:
    """The serial and certificate the system signs with, when its key is on disk too."""
    return _folder_current(_system_dir())


def _system_usable(current: tuple[str, x509.Certificate] | None, root_cert: x509.Certificate) -> bool:
    if current is None:
        return False
    cert = current[1]
    return cert.issuer == root_cert.subject and cert.not_valid_after_utc >= _now() + LEAF_RENEW_BEFORE


_system_signers: dict[tuple[str, str], Any] = {}


def system_signer():
    """The pyHanko signer of the system's archive certificate, created (or renewed) on first use and cached per
    process. Creates the deployment's root too when there is none yet, as a first document would."""
    if not _root_cert_path().exists():
        pki_init(organizations=[])  # takes the PKI lock itself: not called while holding it
    current = _system_current()
    if current is not None:
        with _signers_lock:
            cached = _system_signers.get((str(pki_dir()), current[0]))
        if cached is not None:
            return cached
    root_key, root_cert = _root_load()
    if not _system_usable(current, root_cert):
        with _pki_lock():
            # Another process may have issued it while this one waited for the lock.
            current = _system_current()
            if not _system_usable(current, root_cert):
                cert = _system_certificate_issue(root_key, root_cert)
                current = (f"{cert.serial_number:x}", cert)
    serial = current[0]

    from asn1crypto import keys as asn1_keys
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    folder = _system_dir()
    private_key = serialization.load_pem_private_key((folder / f"{serial}.key.pem").read_bytes(), password=None)
    signer = _signer_class()(
        signing_cert=load_cert_from_pemder(str(folder / f"{serial}.cert.pem")),
        signing_key=asn1_keys.PrivateKeyInfo.load(_key_pem(private_key, serialization.Encoding.DER)),
        cert_registry=SimpleCertificateStore.from_certs([load_cert_from_pemder(str(_root_cert_path()))]),
        private_key=private_key,
    )
    with _signers_lock:
        _system_signers[(str(pki_dir()), serial)] = signer
    return signer


def sign_detached(data: bytes) -> bytes:
    """A detached CMS (PKCS#7) signature over `data` with the system's archive certificate, DER-encoded: SHA-256,
    ECDSA, the signing time as a signed attribute, the certificate and the root inside."""
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    signer = system_signer()
    cms = _run(
        signer.async_sign_general_data(
            data, "sha256", detached=True, signed_attr_settings=PdfCMSSignedAttributes(signing_time=_now())
        )
    )
    return cms.dump()


DETACHED_MESSAGES = {
    "valid": "签名有效，所签内容未被改动。",
    "altered": "签名与所签内容不符：内容在签署后被改动过。",
    "unknown_issuer": "签名证书不是本系统根证书签发的，不可信。",
    "not_system": "签名证书不是本系统的档案签章证书。",
    "unreadable": "无法读取签名（不是有效的 CMS/PKCS#7 签名）。",
}


@dataclass
class DetachedVerdict:
    valid: bool
    code: str  # one of DETACHED_MESSAGES
    message: str
    signer: str = ""  # CN of the signing certificate
    serial: str = ""
    signed_at: datetime.datetime | None = None


def _detached_verdict(code: str, **info) -> DetachedVerdict:
    return DetachedVerdict(valid=code == "valid", code=code, message=DETACHED_MESSAGES[code], **info)


def verify_detached(data: bytes, signature: bytes) -> DetachedVerdict:
    """Checks a detached CMS signature over `data`: the signature holds, its certificate chains to this deployment's
    root (offline, trusting nothing else) and is the system's archive certificate. The certificate is judged at the
    signing time it states (never later than now), so a package outlives its certificate. Never raises."""
    try:
        return _in_sync_context(lambda: _verify_detached(data, signature))
    except Exception:
        logger.exception("verify_detached failed")
        return _detached_verdict("unreadable")


def _verify_detached(data: bytes, signature: bytes) -> DetachedVerdict:
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    try:
        content_info = cms.ContentInfo.load(signature)
        if content_info["content_type"].native != "signed_data":
            return _detached_verdict("unreadable")
        signed_data = content_info["content"]
        (signer_info,) = signed_data["signer_infos"]
        sid = signer_info["sid"]
        cert = next(
            c.chosen
            for c in signed_data["certificates"]
            if c.name == "certificate"
            and sid.name == "issuer_and_serial_number"
            and c.chosen.issuer == sid.chosen["issuer"]
            and c.chosen.serial_number == sid.chosen["serial_number"].native
        )
        signed_at = None
        for attr in signer_info["signed_attrs"]:
            if attr["type"].native == "signing_time":
                signed_at = attr["values"][0].native
    except Exception:
        logger.info("verify_detached: unreadable signature", exc_info=True)
        return _detached_verdict("unreadable")
    info = {
        "signer": _signer_name(cert.subject),
        "serial": f"{cert.serial_number:x}",
        "signed_at": signed_at,
    }
    root = _root_asn1()
    now = _now()
    context = ValidationContext(
        trust_roots=[root] if root is not None else [],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=min(signed_at, now) if isinstance(signed_at, datetime.datetime) else now,
    )
    try:
        status = _run(async_validate_detached_cms(data, signed_data, signer_validation_context=context))
    except Exception:
        logger.info("verify_detached: signature could not be validated", exc_info=True)
        return _detached_verdict("altered", **info)
    if not status.intact or not status.valid:
        return _detached_verdict("altered", **info)
    if root is None or not status.trusted:
        return _detached_verdict("unknown_issuer", **info)
    if _name_value(cert.subject, "serial_number") != SYSTEM_SERIAL:
        return _detached_verdict("not_system", **info)
    return _detached_verdict("valid", **info)
