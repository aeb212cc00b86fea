"""The README stays a few screens and holds no generated block, and the README, ARCHITECTURE.md and
docs/*.md lead somewhere: every relative link to a file of the repository (with an anchor, to one of its
headings), every path they name in backticks to something that exists."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_BYTES = 15 * 1024
# a path of the repository named in backticks: a top-level folder, then plain path characters only
# (a placeholder such as `<approach>` or a pattern such as `{md,json}` or `*.json` is not a path)
NAMED_PATH = re.compile(r"(?:airparadis|benchmarks|data|docs|entrypoints|infra|monitoring|pyfunc|requirements|tests|ui)"
                        r"/[\w./-]*")
PARSER = MarkdownIt("commonmark").enable("table")


def _tokens(path: Path) -> Iterator[Token]:
    for token in PARSER.parse(path.read_text(encoding="utf-8")):
        yield token
        yield from token.children or ()


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor, a repeated one numbered as GitHub numbers it (`-1`, `-2`)."""
    tokens, found, times = list(PARSER.parse(path.read_text(encoding="utf-8"))), set(), {}
    for opening, inline in zip(tokens, tokens[1:], strict=False):
        if opening.type == "heading_open":
            base = slug("".join(child.content for child in inline.children or ()))
            found.add(f"{base}-{times[base]}" if base in times else base)
            times[base] = times.get(base, 0) + 1
    return found


def links(path: Path) -> list[str]:
    """The targets of the page's links and images."""
    return [t.attrs.get("href") or t.attrs.get("src") for t in _tokens(path) if t.type in ("link_open", "image")]


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in links(path):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue
        file = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}")
        elif parts.fragment and file.suffix == ".md" and parts.fragment not in anchors(file):
            broken.append(f"{target}: no heading #{parts.fragment} in {file.relative_to(ROOT)}")
    return broken


def missing_paths(path: Path) -> list[str]:
    named = {t.content for t in _tokens(path) if t.type == "code_inline" and NAMED_PATH.fullmatch(t.content)}
    return sorted(p for p in named if not (ROOT / p).exists())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_named_exists(page):
    assert missing_paths(page) == [], "a module or file moved: name it where it is now"


def test_the_readme_is_a_few_screens_and_links_every_page_of_docs():
    assert len(README.read_bytes()) <= MAX_README_BYTES, "move runbooks and references to docs/, linked"
    linked = {(ROOT / urlsplit(t).path).resolve() for t in links(README) if not urlsplit(t).scheme}
    assert {p for p in PAGES if p.parent.name == "docs"} <= linked


def test_the_readme_holds_no_generated_block():
    assert "<!-- settings:" not in README.read_text(encoding="utf-8")
    assert "<!-- figures:" not in README.read_text(encoding="utf-8")


def test_a_broken_link_a_missing_heading_and_a_moved_module_are_found(tmp_path, monkeypatch):
    tmp_path = tmp_path.resolve()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "api.md").write_text("# The API\n\n## Keys and `limits`\n\n## Keys and `limits`\n")
    page = tmp_path / "README.md"
    page.write_text("# Title\n\n[a](docs/api.md#keys-and-limits-1) [b](docs/api.md#keys) [c](docs/gone.md) "
                    "[d](#title) [e](https://example.com/x.md) `docs/api.md` `pyfunc/gone.py` "
                    "`benchmarks/results/<approach>.json`\n")
    assert anchors(tmp_path / "docs" / "api.md") == {"the-api", "keys-and-limits", "keys-and-limits-1"}
    assert broken_links(page) == ["docs/api.md#keys: no heading #keys in docs/api.md",
                                  "docs/gone.md: no file docs/gone.md"]
    assert missing_paths(page) == ["pyfunc/gone.py"]
