"""The documents' measured figures are generated from the benchmarks' JSON files, never typed."""

from __future__ import annotations

import json

import pytest

from airparadis.reporting import readme_figures


@pytest.mark.parametrize("name", sorted(readme_figures.BLOCKS))
def test_each_document_shows_the_figures_the_benchmarks_wrote(name):
    assert readme_figures.block(name) in readme_figures.WHERE[name].read_text(encoding="utf-8"), (
        f"run `python -m entrypoints.publish` to regenerate the figures of {readme_figures.WHERE[name].name}")


def test_a_new_measurement_rewrites_its_block_where_it_lives_and_nothing_else(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    for path in readme_figures.RESULTS.glob("*.json"):
        (results / path.name).write_text(path.read_text())
    load = json.loads((results / "load_w2.json").read_text())
    load["requests_per_second"] = 12345.6
    (results / "load_w2.json").write_text(json.dumps(load))
    monkeypatch.setattr(readme_figures, "RESULTS", results)
    deploy, api = tmp_path / "deploy.md", tmp_path / "api.md"
    monkeypatch.setattr(readme_figures, "WHERE", {"image": deploy, "load": deploy, "container": deploy, "access": api})
    for document, names in ((deploy, ("image", "load", "container")), (api, ("access",))):
        blocks = "\n".join(f"{a}\nSTALE\n{b}" for a, b in map(readme_figures.markers, names))
        document.write_text(f"# title\n{blocks}\ntail\n")
    assert readme_figures.write()
    deployed, accessed = deploy.read_text(), api.read_text()
    assert "12345.6" in deployed and "12345.6" not in accessed and "µs per request" in accessed
    assert "one-tweet requests a day in F1's 60 CPU-minutes" in deployed
    for text in (deployed, accessed):
        assert "STALE" not in text and text.startswith("# title\n") and text.endswith("tail\n")
    assert not readme_figures.write()  # nothing new: nothing changed


def test_a_document_without_its_markers_is_refused(tmp_path):
    document = tmp_path / "deploy.md"
    document.write_text("# title\n")
    with pytest.raises(LookupError, match="figures:load:start"):
        readme_figures.write_blocks(document, ["load"])
