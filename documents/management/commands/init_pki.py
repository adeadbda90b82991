"""Creates the deployment's root CA, a signing certificate per organization and the system's archive certificate;
safe to run again."""

from django.core.management.base import BaseCommand, CommandError

from assets.models import Organization
from documents.signing import PkiError, certificate_rotate, pki_dir, pki_init, system_signer


class Command(BaseCommand):
    help = (
        "创建本系统的根证书，并为每个启用的单位签发签名证书（EC P-256）。可重复运行：已有的证书保持不变。"
        "密钥保存在 PANHUO_PKI_DIR（默认 var/pki），权限 0600。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rotate",
            type=int,
            action="append",
            metavar="ORG_ID",
            default=[],
            help="为该单位签发新证书并改用新证书签署（可多次指定）；旧证书签署的文件依然有效。",
        )
        parser.add_argument(
            "--include-inactive", action="store_true", help="也为已停用的单位签发证书（默认只处理启用的单位）。"
        )

    def handle(self, *args, rotate, include_inactive, **options):
        organizations = Organization.objects.order_by("pk")
        if not include_inactive:
            organizations = organizations.filter(is_active=True)
        to_rotate = Organization.objects.in_bulk(rotate)
        missing = [str(org_id) for org_id in rotate if org_id not in to_rotate]
        if missing:
            raise CommandError(f"没有编号为 {'、'.join(missing)} 的单位。")
        try:
            result = pki_init(organizations=list(organizations), stdout=self.stdout)
            # The system's own certificate signs archive packages' manifests (supervision.archive).
            archive = system_signer().signing_cert
            self.stdout.write(f"档案签章证书：{archive.subject.human_friendly}（序列号 {archive.serial_number:x}）")
            for org_id in rotate:
                organization = to_rotate[org_id]
                cert = certificate_rotate(organization)
                self.stdout.write(f"轮换签名证书：{organization.name}（新序列号 {cert.serial_number:x}，旧证书仍有效）")
        except PkiError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"PKI 目录 {pki_dir()}：根证书{'新建' if result['root'] == 'created' else '已存在'}；"
            f"单位证书新建 {result['created']} 个，已有 {result['found']} 个，更新 {result['renewed']} 个"
            + (f"，轮换 {len(rotate)} 个。" if rotate else "。")
        )
