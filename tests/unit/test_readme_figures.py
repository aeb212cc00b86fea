"""The README's measured figures are generated from the benchmarks' JSON files, never typed."""

from __future__ import annotations

import json

import pytest

from airparadis.reporting import readme_figures


@pytest.mark.parametrize("name", sorted(readme_figures.BLOCKS))
def test_the_readme_shows_the_figures_the_benchmarks_wrote(name):
    assert readme_figures.block(name) in readme_figures.README.read_text(encoding="utf-8"), (
        "run `python -m entrypoints.publish` to regenerate the README's figures")


def test_a_new_measurement_rewrites_its_block_and_nothing_else(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    for path in readme_figures.RESULTS.glob("*.json"):
        (results / path.name).write_text(path.read_text())
    load = json.loads((results / "load_w2.json").read_text())
    load["requests_per_second"] = 12345.6
    (results / "load_w2.json").write_text(json.dumps(load))
    monkeypatch.setattr(readme_figures, "RESULTS", results)
    readme = tmp_path / "README.md"
    blocks = "\n".join(f"{a}\nold\n{b}" for a, b in map(readme_figures.markers, readme_figures.BLOCKS))
    readme.write_text(f"# title\n{blocks}\ntail\n")
    assert readme_figures.write(readme)
    text = readme.read_text()
    assert "12345.6" in text and "old" not in text and text.startswith("# title\n") and text.endswith("tail\n")
    assert not readme_figures.write(readme)  # nothing new: nothing changed
