"""Replay a Dockerfile's steps without a Docker engine: the image's Python environment built for real.

Each instruction runs in order, with the same commands: ``FROM python:X.Y...`` becomes a fresh
virtualenv of this interpreter (which must be Python X.Y), its ``bin/`` first on ``PATH`` (so the
steps' ``pip`` and ``python`` are the image's); ``WORKDIR``, ``COPY`` and ``ENV`` act under a
throw-away root folder; every ``RUN`` command runs in ``bash`` with the image's absolute paths
(``/opt/...``, ``/etc/...``, ``/var/...``) moved under that root, where the base image's Debian
folders that steps write into exist. A step that fails stops the
replay with its output, as ``docker build`` would. ``ENTRYPOINT`` is returned, its paths moved
too, for the caller to start.

``ARG NAME=default`` before ``FROM`` (the base image's build argument) takes its default; a
``RUN --mount=...`` step's mounts (pip's build secrets) are dropped, the replay passing this
machine's pip settings through its environment instead.

What it does not reproduce: the base image's system packages (a ``RUN apt-get`` step fails
loudly here) and the image's file permissions. The tests build the real image with a Docker engine
(``airparadis.release.engine``, ``tests/integration/test_container.py``); this replay stays for
``benchmarks/image_size.py``, which measures the Python layer distribution by distribution (and the
deep model's pins without a model) where a Docker engine is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

# absolute paths of the image's file system that a step may touch; moved under the replay's root
_IMAGE_PATH = re.compile(r"(?<![\w.:/~-])/(?=(?:opt|etc|var|tmp|srv|app|root|home)(?:/|\b))")
# folders the Debian-based python images have, which steps write into
_BASE_FOLDERS = ("etc/apt/apt.conf.d", "var/lib/apt/lists", "tmp", "opt", "root")
_PASSED = ("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "SSL_CERT", "REQUESTS_CA_BUNDLE", "LANG", "LC_ALL")


class ReplayError(RuntimeError):
    """A step failed, or the Dockerfile asks for something a replay cannot do; the message says which."""


@dataclass
class Replay:
    root: Path
    python: Path
    env: dict[str, str]
    workdir: Path
    entrypoint: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # the instructions replayed, in order


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) of each instruction, continuation lines joined, comments dropped."""
    result, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def _moved(text: str, root: Path) -> str:
    return _IMAGE_PATH.sub(f"{root}/", text)


def _python_version(image: str) -> str:
    match = re.fullmatch(r"(?:docker\.io/)?(?:library/)?python:(\d+)\.(\d+)[\w.-]*", image)
    if not match:
        raise ReplayError(f"FROM {image}: only the official python images can be replayed")
    return f"{match.group(1)}.{match.group(2)}"


def replay(dockerfile: Path, root: Path, log=print) -> Replay:
    """Run ``dockerfile``'s steps in order (build context: its folder) under ``root``; return the
    environment they built and the entry point."""
    dockerfile, root = Path(dockerfile), Path(root).resolve()
    context = dockerfile.parent
    root.mkdir(parents=True, exist_ok=True)
    state: Replay | None = None
    build_args: dict[str, str] = {}
    for keyword, args in instructions(dockerfile.read_text()):
        if keyword == "ARG" and state is None:
            name, _, default = args.partition("=")
            build_args[name.strip()] = default.strip()
            continue
        if keyword == "FROM":
            base = re.sub(r"\$\{(\w+)\}", lambda m: build_args.get(m.group(1), m.group(0)), args.split()[0])
            wanted = _python_version(base)
            here = f"{sys.version_info.major}.{sys.version_info.minor}"
            if wanted != here:
                raise ReplayError(f"FROM {args}: the image runs Python {wanted}, this interpreter is {here}")
            venv.create(root / "venv", with_pip=True, clear=True)
            env = {k: v for k, v in os.environ.items() if k.startswith(_PASSED)}
            env.update(PATH=f"{root / 'venv' / 'bin'}{os.pathsep}/usr/bin:/bin", HOME=str(root / "root"),
                       VIRTUAL_ENV=str(root / "venv"), PIP_DISABLE_PIP_VERSION_CHECK="1")
            for folder in _BASE_FOLDERS:
                (root / folder).mkdir(parents=True, exist_ok=True)
            state = Replay(root, root / "venv" / "bin" / "python", env, root)
        elif state is None:
            raise ReplayError(f"{keyword} before FROM")
        elif keyword == "WORKDIR":
            state.workdir = Path(_moved(args, root))
            state.workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            name, _, value = args.partition("=") if "=" in args.split()[0] else args.partition(" ")
            state.env[name.strip()] = _moved(value.strip().strip('"'), root)
        elif keyword == "COPY":
            *sources, target = shlex.split(args)
            destination = Path(_moved(target, root))
            for source in sources:
                if (context / source).is_dir():
                    shutil.copytree(context / source, destination, dirs_exist_ok=True)
                else:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(context / source, destination)
        elif keyword == "RUN":
            args = re.sub(r"^(?:--mount=\S+\s+)+", "", args)
            command = _moved(args, root)
            if re.search(r"\bapt-get\b|\bapk\b|\byum\b", command):
                raise ReplayError(f"RUN {args}: system packages cannot be replayed in a virtualenv")
            log(f"replay: RUN {args}")
            done = subprocess.run(["bash", "-c", command], cwd=state.workdir, env=state.env, capture_output=True,
                                  text=True)
            if done.returncode:
                raise ReplayError(f"RUN {args}\nfailed with status {done.returncode}:\n"
                                  f"{(done.stdout + done.stderr)[-4000:]}")
        elif keyword == "ENTRYPOINT":
            state.entrypoint = [_moved(a, root) for a in json.loads(args)]
        elif keyword not in ("EXPOSE", "LABEL", "ARG", "CMD", "USER"):
            raise ReplayError(f"{keyword} {args}: not replayable")
        state.steps.append(keyword)
    if state is None:
        raise ReplayError(f"{dockerfile} has no FROM")
    return state
