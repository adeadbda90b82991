"""Checks every stored document and evidence file against the SHA-256 recorded when it was stored."""

from django.core.management.base import BaseCommand, CommandError

from documents.integrity import stored_files_check


class Command(BaseCommand):
    help = "核对每份已签发文书和佐证材料的存档文件：是否存在、SHA-256 是否与保存时一致。有问题时以非零状态退出。"

    def handle(self, *args, **options):
        checked, problems = stored_files_check()
        for row in problems:
            self.stdout.write(f"✘ {row['what']} {row['name']}：{row['label']}（{row['file']}）")
        if problems:
            raise CommandError(f"共核对 {checked} 个文件，{len(problems)} 个有问题（已记入审计轨迹），请从备份恢复。")
        self.stdout.write(f"共核对 {checked} 个文件，全部完好。")
