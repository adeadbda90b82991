"""Files kept on storage whose SHA-256 was recorded when they were stored: read back only if they still match."""

import hashlib
from typing import IO

MISSING, ALTERED = "missing", "altered"
PROBLEM_LABELS = {MISSING: "存档文件缺失", ALTERED: "存档文件与保存时的摘要不一致（已损坏或被改动）"}


class StoredFileError(Exception):
    def __init__(self, problem: str, name: str):
        super().__init__(f"{PROBLEM_LABELS[problem]}：{name}")
        self.problem = problem
        self.name = name

    @property
    def label(self) -> str:
        return PROBLEM_LABELS[self.problem]


def _open(field_file) -> IO[bytes]:
    if not field_file:
        raise StoredFileError(MISSING, "（无文件）")
    try:
        return field_file.open("rb")
    except (FileNotFoundError, IsADirectoryError, ValueError):
        raise StoredFileError(MISSING, field_file.name) from None


def stored_sha256(field_file) -> str:
    """The SHA-256 of the file as it is on storage now, read in chunks; StoredFileError when it is gone."""
    digest = hashlib.sha256()
    with _open(field_file) as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stored_check(field_file, sha256: str) -> None:
    """Raises StoredFileError unless the stored file is there and still hashes to `sha256`."""
    if stored_sha256(field_file) != sha256:
        raise StoredFileError(ALTERED, field_file.name)


def stored_bytes(field_file, sha256: str) -> bytes:
    """The whole file (a document: ~100 KB), only if it still hashes to `sha256`."""
    with _open(field_file) as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StoredFileError(ALTERED, field_file.name)
    return data
