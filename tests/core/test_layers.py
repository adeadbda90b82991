"""The layers contract (pyproject.toml, run by `make lint`) covers every room: an app added to INSTALLED_APPS but not
to the contract would go unchecked, so this fails until it is placed in a layer."""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings


def test_every_app_of_the_project_is_in_the_layers_contract():
    config = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    linter = config["importlinter"]
    # The rooms' contract (the others look inside one room, like workflows' models -> methods).
    [contract] = [c for c in linter["contracts"] if "containers" not in c]
    in_layers = {name.strip() for layer in contract["layers"] for name in layer.split("|")}
    base = Path(settings.BASE_DIR)
    ours = {app.name for app in apps.get_app_configs() if Path(app.path).parent == base} | {"config", "core"}
    assert ours <= set(linter["root_packages"]) == in_layers
    inner = [c for c in linter["contracts"] if "containers" in c]
    assert all(set(c["containers"]) <= in_layers for c in inner) and inner  # the 盘活方式 stay below workflows' models
