"""The decks and the article as the client opens them, built by the real tools (python-pptx, Debian's
Chromium through Playwright) from the real templates and the repository's measured figures (the
comparison, benchmark and bad-buzz files the documents are published from), so the slides checked
for overflow are the ones shipped; and the committed documents are the render of those figures. No
test depends on the exact numbers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from airparadis import config
from airparadis.reporting import charts, documents, publish
from tests.conftest import ARTIFACTS
from tests.reading import french_faults, numbers

MEASURED = publish.COMPARISON  # docs/results/comparison.json, written by `python -m entrypoints.report`
DECKS = {"bad-buzz.fr": (12, 14), "bad-buzz.en": (12, 14), "mlops.en": (7, 10), "mlops.fr": (7, 10)}
ARTICLES = ("blog-article.fr", "blog-article.en")
# every page a reader opens, by its path under docs/
PAGES = [*(f"decks/{d}.html" for d in DECKS), *(f"{a}.html" for a in ARTICLES)]
FRENCH_PAGES = [p for p in PAGES if p.endswith(".fr.html")]
# Numbers a document may show that are not measurements, each with its reason.
ALLOWED = {
    "2009": "year of the Sentiment140 tweets",
    "2015": "year of the airline tweets",
    "16": "first day of the airline feedback part (16-20 February 2015)",
    "20": "last day of the airline feedback part",
    "21": "first day of the airline judge slice (21-24 February 2015)",
    "24": "last day of the airline judge slice",
}
@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """docs/ rebuilt in a temporary folder: charts, rendered templates, decks, article."""
    out = tmp_path_factory.mktemp("docs")
    buzz = config.ROOT / "docs" / "results" / "buzz_alerts.json"
    values = publish.figures(MEASURED, publish.BENCHMARKS, buzz)
    charts.draw(MEASURED, buzz, out / "results" / "charts")
    publish.render(publish.TEMPLATES, out, values)
    documents.build(out / "decks", out)
    return out


@pytest.fixture(scope="module")
def allowed_numbers() -> set[str]:
    """Every number a measured figure gives, as English and French documents write it."""
    values = publish.figures(MEASURED, publish.BENCHMARKS, config.ROOT / "docs" / "results" / "buzz_alerts.json")
    written = [*values.values(), *publish.localised(values, "fr").values()]
    charts_text = [p.read_text(encoding="utf-8") for p in (config.ROOT / "docs" / "results" / "charts").glob("*.json")]
    return set().union(*(numbers(v) for v in written + charts_text)) | set(ALLOWED)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = documents.launch(p)
        yield b
        b.close()


OVERFLOW_JS = """() => [...document.querySelectorAll('section.slide')].map((s) => {
  const box = s.getBoundingClientRect();
  const out = [...s.querySelectorAll('*')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.bottom > box.bottom + 0.5 || r.right > box.right + 0.5 || r.left < box.left - 0.5);
  }).map((e) => e.tagName + ': ' + (e.innerText || e.getAttribute('data-src') || '').slice(0, 60));
  const text = s.querySelector('.text');
  return {slide: +s.dataset.slide, outside: out,
          scroll: s.scrollHeight > s.clientHeight || s.scrollWidth > s.clientWidth
                  || (text !== null && (text.scrollHeight > text.clientHeight + 1))};
})"""


def overflowing(page) -> list[dict]:
    return [s for s in page.evaluate(OVERFLOW_JS) if s["outside"] or s["scroll"]]


def test_every_document_is_built(built):
    for deck in DECKS:
        for suffix in (".md", ".html", ".pdf", ".pptx"):
            assert (built / "decks" / f"{deck}{suffix}").stat().st_size > 0, f"{deck}{suffix}"
    for article in ARTICLES:
        page = (built / f"{article}.html").read_text(encoding="utf-8")
        assert page.startswith(f'<!DOCTYPE html><html lang="{publish.language(Path(article + ".md"))}">'), article


@pytest.mark.parametrize("deck", DECKS)
def test_slide_count_is_the_same_in_html_pdf_and_pptx(built, browser, deck):
    from pptx import Presentation

    low, high = DECKS[deck]
    page = browser.new_page(viewport={"width": documents.WIDTH, "height": documents.HEIGHT})
    page.goto((built / "decks" / f"{deck}.html").as_uri())
    sections = page.locator("section.slide").count()
    page.close()
    pdf_pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", (built / "decks" / f"{deck}.pdf").read_bytes()))
    pptx_slides = len(Presentation(str(built / "decks" / f"{deck}.pptx")).slides)
    assert low <= sections <= high
    assert sections == pdf_pages == pptx_slides


@pytest.mark.parametrize("deck", DECKS)
def test_each_slide_fits_and_shows_its_pictures(built, browser, deck):
    page = browser.new_page(viewport={"width": documents.WIDTH, "height": documents.HEIGHT})
    page.goto((built / "decks" / f"{deck}.html").as_uri())
    assert overflowing(page) == []
    broken = page.evaluate("() => [...document.images].filter((i) => !i.complete || i.naturalWidth === 0)"
                           ".map((i) => i.dataset.src || i.src.slice(0, 40))")
    assert broken == []
    assert page.evaluate("() => [...document.images].every((i) => i.src.startsWith('data:image/png'))")
    if deck == "bad-buzz.fr":  # the renderings the issue asks to see
        ARTIFACTS.mkdir(exist_ok=True)
        for n in documents.PREVIEWS[deck]:
            page.locator(f'section.slide[data-slide="{n}"]').screenshot(path=str(ARTIFACTS / f"{deck}-{n:02d}.png"))
    page.close()


def test_the_overflow_check_sees_an_overflowing_slide(tmp_path, browser):
    text = "## Too much\n\n" + "\n".join(f"- point number {'long ' * 12}" for _ in range(30))
    html = tmp_path / "over.html"
    html.write_text(documents.deck_html(documents.parse_deck(text), tmp_path, "over", "en"))
    page = browser.new_page(viewport={"width": documents.WIDTH, "height": documents.HEIGHT})
    page.goto(html.as_uri())
    assert [s["slide"] for s in overflowing(page)] == [1]
    page.close()


def test_every_figure_a_document_names_exists(built):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for markdown in [*sorted((built / "decks").glob("*.md")), *(built / f"{a}.md" for a in ARTICLES)]:
        sources = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown.read_text(encoding="utf-8"))
        assert sources, f"{markdown.name} shows no chart"
        for src in sources:
            assert (markdown.parent / src).is_file(), f"{markdown.name}: {src}"
        if markdown.parent.name == "decks":
            prs = Presentation(str(markdown.with_suffix(".pptx")))
            shapes = [s for slide in prs.slides for s in slide.shapes]
            data = [documents.chart_data(markdown.parent / src) for src in sources]
            assert all(d.get("source", "").startswith("Source") for d in data), markdown.name
            pictures = sum(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in shapes)
            charts_in_pptx = sum(s.has_chart for s in shapes)
            assert pictures == sum(d["kind"] == "picture" for d in data), markdown.name
            assert charts_in_pptx == sum(d["kind"] != "picture" for d in data), markdown.name
            assert charts_in_pptx > 0 or markdown.name.startswith("mlops"), markdown.name  # its one figure is a diagram


@pytest.mark.parametrize("deck", DECKS)
def test_the_pptx_is_editable_with_notes_numbers_language_and_charts_from_zero(built, deck):
    """Real title and body placeholders, a speaker note on every slide, a page number on every
    slide but the cover, the deck's language on every run, and every bar chart's axis from zero."""
    from pptx import Presentation
    from pptx.enum.chart import XL_CHART_TYPE

    lang = documents.PPTX_LANG[deck.rsplit(".", 1)[1]]
    prs = Presentation(str(built / "decks" / f"{deck}.pptx"))
    assert prs.core_properties.language == lang
    for n, slide in enumerate(prs.slides, 1):
        assert slide.shapes.title is not None and slide.shapes.title.text_frame.text, n
        assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip(), f"slide {n}: no notes"
        runs = [r for s in slide.shapes if s.has_text_frame for p in s.text_frame.paragraphs for r in p.runs]
        assert runs and all(r.font._rPr.get("lang") == lang for r in runs), n
        if n > 1:
            assert any(s.has_text_frame and s.text_frame.text == str(n) for s in slide.shapes), f"slide {n}: no number"
        for shape in slide.shapes:
            bars = (XL_CHART_TYPE.BAR_CLUSTERED, XL_CHART_TYPE.COLUMN_CLUSTERED)
            if shape.has_chart and shape.chart.chart_type in bars:
                assert shape.chart.value_axis.minimum_scale == 0, f"slide {n}"
                assert len(list(shape.chart.plots[0].categories)) > 0


def test_every_bar_chart_picture_starts_at_zero():
    from airparadis.reporting import charts as ch

    for lang in ch.LANGS:
        for chart in ch.charts(MEASURED, config.ROOT / "docs" / "results" / "buzz_alerts.json", publish.SWEEP,
                               publish.PRICES, lang):
            ax = ch.draw_chart(chart).axes[0]
            low = ax.get_xlim()[0] if chart.kind == "barh" else ax.get_ylim()[0]
            assert low == 0, f"{chart.name}_{lang}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_word_vectors_and_the_operating_model_are_in_each_language(built, lang):
    slides = documents.parse_deck((built / "decks" / f"bad-buzz.{lang}.md").read_text(encoding="utf-8"))
    assert any(s.image and s.image.src.endswith(f"embeddings_{lang}.png") for s in slides)
    operating = [s for s in slides if any(b.kind == "table" for b in s.blocks) and "Application Insights" in s.markdown
                 and "retrain" in s.markdown]
    assert len(operating) == 1
    mlops = (built / "decks" / f"mlops.{lang}.md").read_text(encoding="utf-8")
    assert "retrain" in mlops and "Application Insights" in mlops


def shown_text(browser, page_path: Path) -> str:
    """The text a reader of a rendered page sees."""
    page = browser.new_page()
    page.goto(page_path.as_uri())
    text = page.evaluate("() => document.body.innerText")
    page.close()
    return text


@pytest.mark.parametrize("name", FRENCH_PAGES)
def test_french_text_has_decimal_commas_and_dates_in_words(built, browser, name):
    assert french_faults(shown_text(browser, built / name)) == []


def test_the_french_check_sees_a_decimal_point_an_iso_date_and_a_bare_percent():
    assert french_faults("81.5 % le 2015-02-22, 81,5\u202f% le 22 février 2015") == ["1.5", "2015-02-22", "%"]


@pytest.mark.parametrize("name", PAGES)
def test_no_number_that_was_not_measured(built, browser, allowed_numbers, name):
    unmeasured = numbers(shown_text(browser, built / name)) - allowed_numbers
    assert unmeasured == set(), f"{name} shows numbers no command measured"


def test_an_unmeasured_number_is_caught(allowed_numbers):
    assert numbers("BERT would reach 97.35% for 4242 euros") - allowed_numbers == {"97.35", "4242"}


@pytest.mark.parametrize("article", ARTICLES)
def test_each_article_shows_the_charts_of_its_own_language(built, article):
    text = (built / f"{article}.md").read_text(encoding="utf-8")
    lang = publish.language(Path(article + ".md"))
    sources = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(sources) >= 3 and all(src.endswith(f"_{lang}.png") for src in sources), sources


def test_an_unmeasured_figure_stops_the_build(tmp_path):
    templates = tmp_path / "templates" / "decks"
    templates.mkdir(parents=True)
    shutil.copy(publish.TEMPLATES / "decks" / "bad-buzz.en.md", templates)
    values = publish.figures(MEASURED, publish.BENCHMARKS, config.ROOT / "docs" / "results" / "buzz_alerts.json")
    values.pop("transformer_airline_accuracy_pct")
    with pytest.raises(publish.FiguresMissing, match="decks/bad-buzz.en.md: transformer_airline_accuracy_pct"):
        publish.render(tmp_path / "templates", tmp_path / "out", values)
    assert not (tmp_path / "out").exists()


def test_the_committed_documents_are_the_render_of_the_measured_figures(tmp_path):
    """Nobody edited a rendered document by hand, and none is stale: re-rendering the templates
    from the committed figures gives the committed Markdown, byte for byte."""
    written = publish.render(publish.TEMPLATES, tmp_path, publish.figures())
    assert written
    for path in written:
        committed = publish.OUT / path.relative_to(tmp_path)
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"{committed} differs from its template's render: run `python -m entrypoints.publish`")
