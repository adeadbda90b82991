"""Users read the policy cited by its title (《茂县闲置低效资产资源盘活利用工作实施方案》一(三)1), never by this
project's seed numbers: no string the product can show (a literal that is not a docstring, a template outside its
comments) says "seed 0…"."""

import ast
import re
from pathlib import Path

from django.conf import settings

PRODUCT = ("accounts", "assets", "audit", "core", "documents", "supervision", "workflows", "config")
COMMENTS = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.S)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            ids.add(id(body[0].value))
    return ids


def test_no_message_cites_a_seed_number():
    offenders = []
    for app in PRODUCT:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                    if "seed 0" in node.value:
                        offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{node.lineno}")
    for folder in (*PRODUCT, "templates"):
        for path in sorted((Path(settings.BASE_DIR) / folder).rglob("*.html")):
            if "seed 0" in COMMENTS.sub("", path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == []
