"""`python manage.py verify_archive FILE.zip`: checks an archive package (一资产一档案) or a bulk package: its signed
manifest, every file's SHA-256 and size, nothing added; names the first problem and exits non-zero on failure."""

import time
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supervision.archive import archive_verify


class Command(BaseCommand):
    help = "校验资产档案包（或批量档案包）：清单签名、每个文件的 SHA-256 和大小、有无多出的文件。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="档案包 ZIP 文件")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        if not zipfile.is_zipfile(path):
            raise CommandError(f"{path} 不是 ZIP 文件，无法校验。")
        started = time.perf_counter()
        result = archive_verify(path)
        seconds = time.perf_counter() - started
        if not result.valid:
            raise CommandError(f"校验未通过：{result.message}")
        self.stdout.write(f"{result.message}（{path.name}，用时 {seconds:.1f} 秒）")
