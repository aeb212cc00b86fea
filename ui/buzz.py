"""The "Bad buzz" tab: replay a tweet stream (the bundled airline stream or a chosen file) through
the prediction API and the bad-buzz monitor, and show negative volume per hour per group with its
baseline and the alerts, each with what the buzz is about."""

from __future__ import annotations

import html
import threading
import time
from pathlib import Path

from monitoring.buzz import stream
from monitoring.buzz.monitor import BuzzMonitor, iso
from monitoring.buzz.rule import RULE
from monitoring.buzz.scoring import ApiScorer
from monitoring.env import ROOT
from ui import config as ui_config
from ui.config import UiSettings

BUNDLED = ROOT / "data" / "airline_tweets_2015.csv"
SOURCES = ("bundled stream (airline tweets, 16-24 Feb 2015)", "a chosen file")
SPEEDS = {"as fast as possible": 0.0, "1 day in 5 s (17,280×)": 17_280.0, "1 hour per second (3,600×)": 3_600.0,
          "real time (1×)": 1.0}
REFRESH_SECONDS = 0.7  # the chart is redrawn at most this often
BATCH = 500  # tweets scored per request
TIMEOUT = 60.0  # seconds at least for the API to score a batch


def figure(monitor: BuzzMonitor):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from monitoring.buzz.daily import draw

    fig = draw(monitor.hourly_series(), monitor.alerts, plt)
    plt.close(fig)
    return fig


def alerts_markdown(monitor: BuzzMonitor) -> str:
    if not monitor.alerts:
        return "No bad buzz so far."
    parts = []
    for a in reversed(monitor.alerts):
        tweets = "\n".join(f"  - {html.escape(t[:280])}" for t in a.about["tweets"])
        parts.append(f"**{a.group}** · {iso(a.window_start)} → {iso(a.window_end)} · **{a.negatives}** negative "
                     f"tweets (expected {a.baseline:.1f}, score {a.score:.1f})  \n"
                     f"About: *{html.escape(a.about['summary'])}*\n{tweets}")
    return "\n\n".join(parts)


class BuzzReplay:
    """The replay control's handlers; one replay at a time per app."""

    def __init__(self, cfg: UiSettings):
        self.client = ui_config.api_client(cfg, max(cfg.api_timeout, TIMEOUT), BATCH)  # with the key, as the rest
        self._stop = threading.Event()

    def stop(self) -> str:
        self._stop.set()
        return "**Replay stopped.**"

    def start(self, source: str, upload, speed: str):
        """Generator of (chart, alerts markdown, status markdown) as the replay goes on."""
        self._stop.clear()
        try:
            path = BUNDLED if source == SOURCES[0] else Path(upload if isinstance(upload, str) else upload.name)
        except AttributeError:
            yield None, "", "**Problem:** choose a file (CSV or JSON lines with `text`, `tweet_created`, `airline`)."
            return
        try:
            tweets = stream.read_file(path)
        except (OSError, ValueError) as e:
            yield None, "", f"**Problem:** {e}"
            return
        monitor, scorer, last = BuzzMonitor(), ApiScorer(self.client), 0.0
        yield None, "", f"Replaying {len(tweets)} tweets from {path.name} ({RULE.describe()})…"
        try:
            for batch in stream.batches(tweets, BATCH, SPEEDS.get(speed, 0.0), stop=self._stop.is_set):
                for tweet, (negative, p) in zip(batch, scorer([t.text for t in batch]), strict=True):
                    monitor.add(tweet, negative, p)
                if time.monotonic() - last >= REFRESH_SECONDS:
                    last = time.monotonic()
                    now = iso(batch[-1].time)
                    yield (figure(monitor), alerts_markdown(monitor),
                           f"Replaying… stream time {now}: {monitor.seen} tweets, {len(monitor.alerts)} alerts")
        except RuntimeError as e:
            yield figure(monitor), alerts_markdown(monitor), f"**Problem:** {e}"
            return
        if self._stop.is_set():
            yield figure(monitor), alerts_markdown(monitor), (f"**Replay stopped** after {monitor.seen} tweets, "
                                                              f"{len(monitor.alerts)} alerts.")
            return
        monitor.flush()
        yield (figure(monitor), alerts_markdown(monitor),
               f"**Replay finished:** {monitor.seen} tweets, {len(monitor.alerts)} alerts.")


def build_tab(cfg: UiSettings) -> None:
    """The tab's components and events (inside ``gr.Blocks``)."""
    import gradio as gr

    replay = BuzzReplay(cfg)
    with gr.Tab("Bad buzz"):
        gr.Markdown(f"Negative tweets per hour per group, their baseline and the bad-buzz alerts. Rule: "
                    f"{RULE.describe()}.")
        with gr.Row():
            source = gr.Radio(list(SOURCES), value=SOURCES[0], label="Stream", elem_id="buzz-source")
            upload = gr.File(label="…or a CSV / JSON-lines file", file_types=[".csv", ".jsonl", ".json"],
                             elem_id="buzz-file")
            speed = gr.Dropdown(list(SPEEDS), value=list(SPEEDS)[1], label="Speed", elem_id="buzz-speed")
        with gr.Row():
            start = gr.Button("Start replay", variant="primary", elem_id="buzz-start")
            stop = gr.Button("Stop", variant="stop", elem_id="buzz-stop")
        status = gr.Markdown(elem_id="buzz-status")
        chart = gr.Plot(label="Negative volume per hour", elem_id="buzz-chart")
        alerts = gr.Markdown(elem_id="buzz-alerts")
        running = start.click(replay.start, inputs=[source, upload, speed], outputs=[chart, alerts, status])
        stop.click(replay.stop, outputs=status, cancels=[running])
