"""The one check of a model's serving requirements against the deployment budget, used by both
the promotion gate and the image builder (so a model the gate passes is never refused later)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from airparadis import config

_CONDA_NAME = re.compile(r"^\s*([A-Za-z0-9][\w.-]*)")


def names(lines: list[str]) -> list[str]:
    """Normalised distribution names of requirement lines (comments, options and blanks skipped)."""
    out = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            out.append(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:  # a conda spec (``python=3.11``) or a URL: its leading name
            if match := _CONDA_NAME.match(line):
                out.append(canonicalize_name(match.group(1)))
    return out


def of_model(model_dir: Path) -> list[str]:
    """Every requirement a logged model declares: ``requirements.txt`` and ``conda.yaml``."""
    model_dir = Path(model_dir)
    lines = []
    if (path := model_dir / "requirements.txt").exists():
        lines += path.read_text().splitlines()
    if (path := model_dir / "conda.yaml").exists():
        for dep in (yaml.safe_load(path.read_text()) or {}).get("dependencies", []):
            lines += dep.get("pip", []) if isinstance(dep, dict) else [str(dep)]
    return lines


def forbidden(lines: list[str], prefixes: tuple[str, ...] = config.BUDGET.forbidden_prefixes) -> list[str]:
    """The requirements too large for the free plan's image: any distribution whose normalised
    name starts with a forbidden prefix (``torch``, ``torchvision``, ``Torch``, ``tensorflow-cpu``)."""
    return sorted({n for n in names(lines) if n.startswith(prefixes)})
