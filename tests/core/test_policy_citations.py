"""Users read the policy cited by its title (《茂县闲置低效资产资源盘活利用工作实施方案》一(三)1), never by this
project's seed numbers: no string the product can show (a literal that is not a docstring, a template outside its
comments, in any folder) says "seed 0…", however it is spelled; the policy's sections are cited through
`core.policy.cited`."""

import ast
import re
from pathlib import Path

from django.conf import settings

from core.policy import IMPLEMENTATION_PLAN, cited

# Every app whose strings reach a user: pages, messages, PDFs, and the demo county's data.
PRODUCT = ("accounts", "assets", "audit", "core", "demo", "documents", "supervision", "workflows", "config")
COMMENTS = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.S)
SEED = re.compile(r"seed\s*0\d*", re.I)
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".svg")


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
                    if SEED.search(node.value):
                        offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{node.lineno}")
    assert offenders == []


def test_no_template_anywhere_cites_a_seed_number():
    base = Path(settings.BASE_DIR)
    templates = [
        path
        for path in base.rglob("*")
        if path.suffix in TEMPLATE_SUFFIXES
        and "templates" in path.relative_to(base).parts
        and not {".venv", ".git", "node_modules"} & set(path.relative_to(base).parts)
    ]
    assert len(templates) > 50  # the scan found the project's templates (pages, PDFs, the error pages)
    offenders = [
        str(path.relative_to(base))
        for path in templates
        if SEED.search(COMMENTS.sub("", path.read_text(encoding="utf-8", errors="replace")))
    ]
    assert offenders == []


def test_a_citation_names_the_policy_by_its_title():
    assert cited("一(三)1") == "《茂县闲置低效资产资源盘活利用工作实施方案》一(三)1"
    assert IMPLEMENTATION_PLAN.startswith("《") and "seed" not in IMPLEMENTATION_PLAN
