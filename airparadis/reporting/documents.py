"""The documents as the client uses them: slide decks (HTML, PDF, PPTX) and the article (HTML).

The publish stage first renders every template with the measured figures (``docs/decks/*.md``,
``docs/blog-article.{fr,en}.md``); this module turns those rendered Markdown files into what people open:

- a deck's Markdown holds one slide per block, blocks separated by a line ``---``; its first heading
  is the slide's title; ``<!-- class: title -->`` marks the cover. A slide with a picture and text
  puts the text on top and the picture below in the rest of the slide (the charts are wide).
- ``<deck>.html``: every slide a 1280x720 ``<section>`` (pictures embedded, one self-contained file),
  printed to ``<deck>.pdf`` by headless Chromium (one page per slide);
- ``<deck>.pptx``: the same blocks as native PowerPoint text boxes, tables and pictures (python-pptx),
  so the marketing team can edit a slide, not just show it;
- ``blog-article.<lang>.html``: the article, in French and in English, each one self-contained page, charts embedded.

Why this toolchain rather than Marp: one parser feeds both the PDF and an *editable* PPTX (Marp's
PPTX is one image per slide), and it needs nothing beyond Python packages and the Debian Chromium
the tests already use (no Node toolchain or browser download).
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

from airparadis import config
from airparadis.reporting.publish import language

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run"]
WIDTH, HEIGHT = 1280, 720  # CSS pixels of one slide (16:9); 13.333 x 7.5 inches
SEPARATOR = re.compile(r"^---\s*$", re.MULTILINE)
ACCENT, INK = "#C8102E", "#1F2A44"


@dataclass
class Block:
    """One piece of a slide: ``para``, ``bullets``, ``table``, ``image``, ``quote`` or ``heading``."""

    kind: str
    runs: list = field(default_factory=list)  # para/quote/heading: [(text, bold, italic)]
    items: list = field(default_factory=list)  # bullets: [runs]; table: [[runs]] rows, header first
    src: str = ""  # image path, relative to the Markdown file


@dataclass
class Slide:
    title: str
    blocks: list[Block]
    classes: list[str]
    markdown: str
    notes: str = ""  # the speaker notes: ``<!-- notes: ... -->`` in the slide's Markdown

    @property
    def image(self) -> Block | None:
        return next((b for b in self.blocks if b.kind == "image"), None)

    @property
    def layout(self) -> str:
        if "title" in self.classes:
            return "cover"
        text = [b for b in self.blocks if b.kind != "image"]
        return "split" if self.image and text else "picture" if self.image else "text"


def _md():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def _runs(inline) -> list[tuple[str, bool, bool]]:
    runs, bold, italic = [], False, False
    for child in inline.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("text", "code_inline"):
            runs.append((child.content, bold, italic))
        elif child.type in ("softbreak", "hardbreak"):
            runs.append((" ", bold, italic))
    return runs


def _blocks(tokens) -> tuple[str, list[Block]]:
    title, blocks, i = "", [], 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            runs = _runs(tokens[i + 1])
            if not title:
                title = "".join(r[0] for r in runs)
            else:
                blocks.append(Block("heading", runs))
            i += 3
        elif tok.type == "paragraph_open" and tok.level == 0:
            inline = tokens[i + 1]
            images = [c for c in inline.children or [] if c.type == "image"]
            if images:
                blocks.append(Block("image", src=images[0].attrs["src"]))
            else:
                blocks.append(Block("para", _runs(inline)))
            i += 3
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            items, depth = [], 0
            while True:
                t = tokens[i]
                depth += t.nesting if t.type.endswith("_list_open") or t.type.endswith("_list_close") else 0
                if t.type == "inline":
                    items.append(_runs(t))
                i += 1
                if depth == 0:
                    break
            blocks.append(Block("bullets", items=items))
        elif tok.type == "blockquote_open":
            runs = []
            while tokens[i].type != "blockquote_close":
                if tokens[i].type == "inline":
                    runs += _runs(tokens[i])
                i += 1
            blocks.append(Block("quote", [(t, b, True) for t, b, _ in runs]))
            i += 1
        elif tok.type == "table_open":
            rows = []
            while tokens[i].type != "table_close":
                if tokens[i].type == "tr_open":
                    rows.append([])
                elif tokens[i].type == "inline":
                    rows[-1].append(_runs(tokens[i]))
                i += 1
            blocks.append(Block("table", items=rows))
            i += 1
        else:
            i += 1
    return title, blocks


def parse_deck(text: str) -> list[Slide]:
    """The slides of a deck's Markdown (generated-file comments and empty blocks dropped)."""
    md, slides = _md(), []
    for chunk in SEPARATOR.split(text):
        body = re.sub(r"<!-- Generated by.*?-->\n?", "", chunk, flags=re.S).strip()
        if not body:
            continue
        classes = re.findall(r"<!--\s*class:\s*([\w -]+?)\s*-->", body)
        notes = " ".join(" ".join(n.split()) for n in re.findall(r"<!--\s*notes:(.*?)-->", body, flags=re.S))
        title, blocks = _blocks(md.parse(body))
        slides.append(Slide(title, blocks, " ".join(classes).split(), body, notes))
    return slides


def chart_data(picture: Path) -> dict:
    """The data a chart was drawn from (``<chart>.json`` beside ``<chart>.png``, written by
    :mod:`airparadis.reporting.charts`): its values for an editable PPTX chart, and its source line."""
    sidecar = picture.with_suffix(".json")
    return json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _embed_images(html_text: str, base: Path) -> str:
    def embed(m):
        path = (base / html.unescape(m.group(2))).resolve()
        return f'{m.group(1)}"{_data_uri(path)}" data-src="{m.group(2)}"' if path.exists() else m.group(0)

    return re.sub(r'(<img[^>]*?src=)"([^"]+)"', embed, html_text)


DECK_CSS = f"""
@page {{ size: {WIDTH}px {HEIGHT}px; margin: 0; }}
* {{ box-sizing: border-box; }}
html, body {{ margin: 0; padding: 0; background: #fff; }}
body {{ font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: {INK}; }}
section.slide {{ width: {WIDTH}px; height: {HEIGHT}px; overflow: hidden; position: relative; padding: 44px 60px 40px;
  page-break-after: always; break-after: page; display: flex; flex-direction: column;
  border-top: 10px solid {ACCENT}; }}
section.slide h1, section.slide h2 {{ font-size: 36px; margin: 0 0 18px; line-height: 1.15; }}
section.slide h3 {{ font-size: 22px; margin: 8px 0 6px; color: {ACCENT}; }}
section.slide .body {{ flex: 1; min-height: 0; display: flex; gap: 36px; font-size: 22px; line-height: 1.35; }}
section.slide .text {{ flex: 1; min-width: 0; }}
section.slide.split .body {{ flex-direction: column; gap: 10px; }}
section.slide.split .text {{ flex: none; font-size: 20px; }}
section.slide .picture {{ flex: 1; min-height: 0; min-width: 0; }}
section.slide .picture img {{ width: 100%; height: 100%; object-fit: contain; display: block; }}
section.slide p {{ margin: 0 0 12px; }}
section.slide ul, section.slide ol {{ margin: 0 0 12px; padding-left: 28px; }}
section.slide li {{ margin: 0 0 8px; }}
section.slide blockquote {{ margin: 0 0 12px; padding: 6px 14px; border-left: 5px solid {ACCENT};
  background: #F6F7F9; font-style: italic; font-size: 18px; }}
section.slide table {{ border-collapse: collapse; font-size: 19px; margin: 0 0 12px; }}
section.slide th, section.slide td {{ border-bottom: 1px solid #D5DBE3; padding: 5px 10px; text-align: left; }}
section.slide th {{ background: #F3F5F8; }}
section.slide strong {{ color: {ACCENT}; }}
section.slide.cover {{ justify-content: center; background: {INK}; color: #fff; border-top: 0; padding: 80px; }}
section.slide.cover h1 {{ font-size: 56px; color: #fff; }}
section.slide.cover .body {{ font-size: 26px; flex: none; }}
section.slide.cover strong {{ color: #fff; }}
section.slide.text .body {{ font-size: 25px; }}
section.slide.text table {{ width: 100%; font-size: 19px; }}
section.slide.text th, section.slide.text td {{ padding: 7px 10px; }}
section.slide .source {{ font-size: 13px; color: #5F6B7A; margin: 4px 0 0; flex: none; }}
section.slide.picture .body, section.slide.split .body {{ min-height: 0; }}
section.slide .figure {{ flex: 1; min-height: 0; display: flex; flex-direction: column; }}
section.slide .number {{ position: absolute; right: 24px; bottom: 14px; font-size: 13px; color: #7A8594; }}
"""


def deck_html(slides: list[Slide], base: Path, title: str, lang: str) -> str:
    """One self-contained HTML page, one ``<section class="slide">`` per slide."""
    md, sections = _md(), []
    for n, slide in enumerate(slides, 1):
        body = re.sub(r"<!--.*?-->", "", slide.markdown, flags=re.S)
        heading, _, rest = body.partition("\n")
        if not heading.lstrip().startswith("#"):
            heading, rest = "", body
        image = slide.image
        rest_md = re.sub(r"^!\[[^\]]*\]\([^)]*\)\s*$", "", rest, flags=re.M) if image else rest
        parts = [f'<div class="text">{md.render(rest_md)}</div>'] if slide.layout != "picture" else []
        if image and slide.layout != "cover":
            source = chart_data(base / image.src).get("source", "")
            parts.append(f'<div class="figure"><div class="picture"><img src="{html.escape(image.src)}" alt=""></div>'
                         f'<p class="source">{html.escape(source)}</p></div>')
        number = f'<div class="number">{n}</div>' if slide.layout != "cover" else ""
        sections.append(f'<section class="slide {slide.layout}" data-slide="{n}">{md.render(heading)}'
                        f'<div class="body">{"".join(parts)}</div>{number}</section>')
    page = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{DECK_CSS}</style></head><body>{''.join(sections)}</body></html>")
    return _embed_images(page, base)


ARTICLE_CSS = f"""
body {{ font-family: Georgia, "DejaVu Serif", serif; color: {INK}; max-width: 760px; margin: 40px auto;
  padding: 0 20px; line-height: 1.6; font-size: 18px; }}
h1, h2, h3 {{ font-family: "DejaVu Sans", Arial, sans-serif; line-height: 1.2; }}
h1 {{ font-size: 34px; }} h2 {{ font-size: 24px; margin-top: 36px; border-bottom: 3px solid {ACCENT}; }}
img {{ max-width: 100%; display: block; margin: 16px auto; }}
table {{ border-collapse: collapse; font-size: 15px; font-family: "DejaVu Sans", Arial, sans-serif; margin: 16px 0; }}
th, td {{ border-bottom: 1px solid #D5DBE3; padding: 5px 9px; text-align: left; }}
th {{ background: #F3F5F8; }}
code {{ font-size: 15px; background: #F3F5F8; padding: 1px 4px; }}
blockquote {{ border-left: 4px solid {ACCENT}; margin: 0; padding: 4px 16px; color: #44506A; }}
"""


def article_html(markdown_text: str, base: Path, title: str, lang: str = "en") -> str:
    body = _md().render(re.sub(r"<!-- Generated by.*?-->\n?", "", markdown_text, flags=re.S))
    page = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{ARTICLE_CSS}</style>'
            f"</head><body><article>{body}</article></body></html>")
    return _embed_images(page, base)


def launch(playwright):
    """Debian's Chromium, headless (the tests use the same one)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def print_pdf(html_path: Path, pdf_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(html_path.resolve().as_uri())
        page.pdf(path=str(pdf_path), width=f"{WIDTH}px", height=f"{HEIGHT}px", print_background=True,
                 margin={"top": "0", "right": "0", "bottom": "0", "left": "0"})
        browser.close()


PPTX_LANG = {"fr": "fr-FR", "en": "en-GB"}


def _native_chart(page, data: dict, x, y, width, height):
    """An editable PowerPoint chart holding the chart's data (value axis from zero, the deployed
    model in the accent colour, the line chart's alert and peak labelled)."""
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Pt

    chart_data = CategoryChartData(number_format='0.0' if data["decimals"] else '0')
    chart_data.categories = [c.replace("\n", " ") for c in data["categories"]]
    for name, values in data["series"]:
        chart_data.add_series(name, values)
    kind = {"bar": XL_CHART_TYPE.COLUMN_CLUSTERED, "barh": XL_CHART_TYPE.BAR_CLUSTERED,
            "line": XL_CHART_TYPE.LINE_MARKERS}[data["kind"]]
    chart = page.shapes.add_chart(kind, x, y, width, height, chart_data).chart
    chart.has_title, chart.font.size = True, Pt(12)
    chart.chart_title.text_frame.text = data["title"]
    chart.value_axis.minimum_scale = 0
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = data["axis"]
    chart.has_legend = len(data["series"]) > 1
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    accent, muted = RGBColor.from_string(ACCENT[1:]), RGBColor.from_string("9AA5B1")
    palette = [RGBColor.from_string(INK[1:]), muted] if len(data["series"]) > 1 else [muted]
    for i, series in enumerate(chart.plots[0].series):
        colour = accent if data["kind"] == "line" and i == 0 else palette[i % len(palette)]
        if data["kind"] == "line":
            series.format.line.color.rgb = colour
            series.smooth = False
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = colour
    if data["kind"] != "line":
        plot = chart.plots[0]
        plot.has_data_labels = True
        unit = f'"{data["unit"]}"' if data["unit"] else ""
        plot.data_labels.number_format = ('0.0' if data["decimals"] else '0') + unit
        plot.data_labels.number_format_is_linked = False
        plot.data_labels.font.size = Pt(11)
        if data["highlight"] is not None:
            point = plot.series[0].points[data["highlight"]]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = accent
        if data["kind"] == "barh":
            chart.category_axis.reverse_order = True  # the first category on top, as in the picture
    for index, label in data.get("marks", []):
        point = chart.plots[0].series[0].points[index]
        point.data_label.has_text_frame = True
        point.data_label.text_frame.text = f"{label} {data['categories'][index]}"
    return chart


def _language(shape, tag: str) -> None:
    """Every run of a shape's text in ``tag`` (spell-checking and screen readers use it)."""
    for paragraph in shape.text_frame.paragraphs if shape.has_text_frame else []:
        for run in paragraph.runs:
            run.font._rPr.set("lang", tag)


def write_pptx(slides: list[Slide], base: Path, path: Path, lang: str = "en") -> None:
    """Native, editable PowerPoint slides on one template: the layouts' title and body placeholders
    (real bullets), tables, editable charts holding their data (pictures only for diagrams), a
    source line under every figure, speaker notes, page numbers and the deck's language."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Emu, Inches, Pt

    accent, ink, white = RGBColor.from_string(ACCENT[1:]), RGBColor.from_string(INK[1:]), RGBColor(255, 255, 255)
    tag = PPTX_LANG.get(lang, lang)
    prs = Presentation()
    prs.core_properties.language = tag
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    left, width, bottom = Inches(0.6), Inches(12.1), Inches(6.95)

    def fill(paragraph, runs, size, colour=ink):
        for text, bold, italic in runs:
            run = paragraph.add_run()
            run.text = text
            run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
            run.font.color.rgb = accent if bold and colour == ink else colour

    def no_bullet(paragraph):
        paragraph._p.get_or_add_pPr().insert(0, paragraph._p.makeelement(qn("a:buNone"), {}))

    for n, slide in enumerate(slides, 1):
        cover = slide.layout == "cover"
        page = prs.slides.add_slide(prs.slide_layouts[0 if cover else 1])
        title, body = page.placeholders[0], page.placeholders[1]
        title.text_frame.text = ""
        fill(title.text_frame.paragraphs[0], [(slide.title, True, False)], 40 if cover else 28, white if cover else ink)
        title.text_frame.word_wrap = True
        if cover:
            page.background.fill.solid()
            page.background.fill.fore_color.rgb = ink
            title.left, title.top, title.width, title.height = left, Inches(2.0), width, Inches(1.6)
            body.left, body.top, body.width, body.height = left, Inches(3.8), width, Inches(2.4)
        else:
            bar = page.shapes.add_shape(1, 0, 0, prs.slide_width, Inches(0.1))
            bar.fill.solid()
            bar.fill.fore_color.rgb = accent
            bar.line.fill.background()
            title.left, title.top, title.width, title.height = left, Inches(0.3), width, Inches(1.0)
            title.text_frame.paragraphs[0].alignment = 1  # left
        size = 18 if slide.layout == "split" else 22 if cover else 20
        y, lines, first = Inches(1.4), 0, True
        frame = body.text_frame
        frame.word_wrap = True
        tables = []
        for block in slide.blocks:
            if block.kind == "image":
                continue
            if block.kind == "table":
                tables.append(block)
                continue
            items = block.items if block.kind == "bullets" else [block.runs]
            for runs in items:
                paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
                first = False
                if block.kind != "bullets":
                    no_bullet(paragraph)
                fill(paragraph, runs, size - 3 if block.kind == "quote" else size,
                     accent if block.kind == "heading" else white if cover else ink)
                paragraph.space_after = Pt(6)
                lines += 1 + sum(len(t) for t, _, _ in runs) // (95 if size < 20 else 85)
        text_height = Emu(int(Inches(0.36 if size < 20 else 0.4) * lines)) + Inches(0.2)
        if not cover:
            body.left, body.top, body.width = left, y, width
            body.height = text_height if (slide.image or tables) else bottom - y
            if first:  # no text: the placeholder would show its prompt
                body._element.getparent().remove(body._element)
            y += text_height if not first else 0
        for block in tables:
            rows, cols = len(block.items), max(len(r) for r in block.items)
            height = Inches(0.45) * rows
            table = page.shapes.add_table(rows, cols, left, y, width, height).table
            for r, row in enumerate(block.items):
                for c, cell in enumerate(row):
                    paragraph = table.cell(r, c).text_frame.paragraphs[0]
                    fill(paragraph, [(t, b or r == 0, i) for t, b, i in cell], 14, white if r == 0 else ink)
            y += height + Inches(0.2)
        image = slide.image
        if image and not cover:
            picture = (base / image.src).resolve()
            data = chart_data(picture)
            room = bottom - Inches(0.35) - y
            if data.get("kind", "picture") == "picture":
                from PIL import Image

                with Image.open(picture) as im:
                    ratio = im.height / im.width
                w = min(width, Emu(int(room / ratio)))
                shape = page.shapes.add_picture(str(picture), left + (width - w) // 2, y, width=w)
                y = shape.top + shape.height
            else:
                _native_chart(page, data, left, y, width, room)
                y += room
            source = page.shapes.add_textbox(left, y + Inches(0.02), width, Inches(0.3))
            fill(source.text_frame.paragraphs[0], [(data.get("source", ""), False, True)], 11, ink)
        if not cover:
            number = page.shapes.add_textbox(Inches(12.3), Inches(7.05), Inches(0.8), Inches(0.35))
            fill(number.text_frame.paragraphs[0], [(str(n), False, False)], 11, ink)
            number.text_frame.paragraphs[0].alignment = 3  # right
        page.notes_slide.notes_text_frame.text = slide.notes
        for shape in [*page.shapes, *page.notes_slide.shapes]:
            _language(shape, tag)
    prs.save(str(path))


def build_deck(markdown: Path) -> list[Path]:
    """``<deck>.md`` (rendered by publish) -> ``<deck>.html``, ``.pdf`` and ``.pptx`` beside it."""
    slides = parse_deck(markdown.read_text(encoding="utf-8"))
    lang = language(markdown)
    html_path, pdf_path, pptx_path = (markdown.with_suffix(s) for s in (".html", ".pdf", ".pptx"))
    html_path.write_text(deck_html(slides, markdown.parent, slides[0].title, lang), encoding="utf-8")
    print_pdf(html_path, pdf_path)
    write_pptx(slides, markdown.parent, pptx_path, lang)
    return [html_path, pdf_path, pptx_path]


def build_article(markdown: Path) -> Path:
    """``blog-article.<lang>.md`` (rendered by publish) -> ``blog-article.<lang>.html`` beside it."""
    text = markdown.read_text(encoding="utf-8")
    title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")), markdown.stem)
    target = markdown.with_suffix(".html")
    target.write_text(article_html(text, markdown.parent, title, language(markdown)), encoding="utf-8")
    return target


DECKS = config.ROOT / "docs" / "decks"
DOCS = config.ROOT / "docs"
ARTICLE = "blog-article.*.md"  # the article, one file per language, in DOCS
# slides shown as PNG in docs/decks/previews/: cover, answer, crisis, decision
PREVIEWS = {"bad-buzz.fr": (1, 2, 3, 11), "bad-buzz.en": (1, 2, 3, 11)}


def previews(decks: Path = DECKS, which: dict[str, tuple[int, ...]] = PREVIEWS) -> list[Path]:
    """PNG renderings of a few slides of each built deck (``<deck>-<NN>.png``), taken from its HTML
    by the Chromium that prints the PDF: what a reader sees, without opening the deck."""
    from playwright.sync_api import sync_playwright

    out = decks / "previews"
    out.mkdir(exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        for deck, slides in which.items():
            page.goto((decks / f"{deck}.html").resolve().as_uri())
            for n in slides:
                target = out / f"{deck}-{n:02d}.png"
                page.locator(f'section.slide[data-slide="{n}"]').screenshot(path=str(target))
                written.append(target)
        browser.close()
    return written


def articles(docs: Path = DOCS) -> list[Path]:
    """The article's rendered Markdown in each language (``blog-article.fr.md``, ``blog-article.en.md``)."""
    return sorted(docs.glob(ARTICLE))


def build(decks: Path = DECKS, docs: Path = DOCS) -> list[Path]:
    """Every deck in ``decks`` and the article in each language in ``docs``, from their rendered Markdown."""
    written = []
    for markdown in sorted(decks.glob("*.md")):
        written += build_deck(markdown)
    return written + [build_article(markdown) for markdown in articles(docs)]
