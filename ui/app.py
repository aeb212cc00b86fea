"""The Air Paradis front-end: type a tweet, read the prediction, say when it is wrong.

``python -m ui.app [--api-url URL] [--host HOST] [--port PORT]`` (or ``make ui-app``). The app
calls the prediction API over HTTP (:mod:`apiclient.client`) and files "wrong prediction" reports
through :mod:`monitoring` (local store, Application Insights when
``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set). Handlers return messages, never raise: a
missing API or a broken report store shows a sentence, not a stack trace. ``--show-config`` prints
the front-end and monitoring settings (secrets only as set/unset) and exits.
"""

from __future__ import annotations

import argparse
import csv
import hmac
import io
import logging
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from apiclient.client import ApiError, Prediction, PredictionClient
from monitoring.env import ConfigError, shown
from monitoring.mispredictions.record import InvalidReport, MispredictionReport
from pyfunc.names import (
    LABEL_COLUMN,
    LABEL_NEGATIVE,
    LABEL_NOT_NEGATIVE,
    MAX_TEXT_CHARS,
    PROBABILITY_COLUMN,
    TEXT_COLUMN,
    UNREGISTERED,
)
from ui import buzz as buzz_tab
from ui import config as ui_config
from ui.config import UiSettings

log = logging.getLogger(__name__)

EXAMPLES = [
    "@AirParadis two hours on the tarmac and nobody tells us anything. Never again.",
    "Lovely crew on flight AP 312 to Lisbon, thank you @AirParadis!",
    "My bag is lost again. Third time this year. Great job @AirParadis",
    "Boarding now, see you in Montreal!",
]
BATCH_COLUMNS = [TEXT_COLUMN, LABEL_COLUMN, PROBABILITY_COLUMN]


class Handlers:
    """What the buttons do; plain functions of their inputs, so they can be tested without a browser."""

    def __init__(self, cfg: UiSettings, client: PredictionClient | None = None, monitoring=None):
        self.cfg = cfg
        self.client = client or ui_config.api_client(cfg, batch_rows=cfg.batch_chunk)
        self._monitoring = monitoring
        self._monitoring_error: str | None = None

    # --- monitoring is opened lazily: a broken store must not stop predictions ------------------
    def monitoring(self):
        if self._monitoring is None and self._monitoring_error is None:
            try:
                from monitoring.mispredictions.service import Monitoring

                self._monitoring = Monitoring()
            except Exception as e:  # noqa: BLE001 - shown to the user as a sentence
                self._monitoring_error = f"Reports cannot be saved: {type(e).__name__}: {e}"
                log.error("monitoring unavailable: %s", type(e).__name__)
        return self._monitoring

    # --- API status ------------------------------------------------------------------------------
    def api_status(self) -> str:
        try:
            self.client.ping()
        except ApiError as e:
            return f"**API DOWN.** {e}  \nModel: **{self.cfg.model_label}**"
        served = self.served()
        model = f"{served[0]} (version {served[1]}, as the API says)" if served else self.cfg.model_label
        return f"**API OK.** The prediction API at {self.client.api_url} is reachable.  \nModel: **{model}**"

    def served(self) -> tuple[str, str] | None:
        """(name, version) the API says it serves (``GET /version``); None when it does not say
        (MLflow's bare server, or a model served from a path)."""
        try:
            info = self.client.served_model()
        except ApiError:
            return None
        if info.get("model_version") in (None, UNREGISTERED):
            return None
        return str(info.get("model_name")), str(info["model_version"])

    # --- one tweet -------------------------------------------------------------------------------
    def predict(self, text: str):
        """-> (probabilities for the bar, result markdown, prediction state, report button update)."""
        text = (text or "").strip()
        if not text:
            return None, "Type a tweet first.", None, _button(False)
        if len(text) > MAX_TEXT_CHARS:
            return None, f"The tweet is {len(text)} characters long; at most {MAX_TEXT_CHARS}.", None, _button(False)
        try:
            (prediction,) = self.client.predict([text])
        except ApiError as e:
            return None, f"**Problem:** {e}", None, _button(False)
        p = prediction.negative_probability
        shown = "Negative" if prediction.label == LABEL_NEGATIVE else "Not negative"
        markdown = (f"### {shown}\nProbability that the tweet is negative: **{p:.1%}**  \n"
                    f"Model: {self.answered_by(prediction)}")
        return {LABEL_NEGATIVE: p, LABEL_NOT_NEGATIVE: 1.0 - p}, markdown, asdict(prediction), _button(True)

    def answered_by(self, prediction: Prediction) -> str:
        """The model that gave ``prediction`` as the API told it; the configured one when it did not."""
        if prediction.model_version:
            return f"{prediction.model_name or self.cfg.model_name} (version {prediction.model_version})"
        return self.cfg.model_label

    def report_wrong(self, state: dict | None):
        """-> (message, report button update). The button is disabled once the prediction is reported."""
        if not state:
            return "Make a prediction first, then report it if it is wrong.", _button(False)
        monitoring = self.monitoring()
        if monitoring is None:
            return f"**Problem:** {self._monitoring_error}", _button(True)
        try:
            report = MispredictionReport(
                text=state["text"], predicted_label=state["label"],
                negative_probability=state["negative_probability"],
                model_name=state.get("model_name") or self.cfg.model_name,
                model_version=state.get("model_version") or self.cfg.model_version, source="ui",
            )
            filed = monitoring.report(report)
        except InvalidReport as e:
            return f"**Problem:** This prediction cannot be reported: {e}", _button(False)
        except Exception as e:  # noqa: BLE001 - e.g. a full disk: say so, keep the button
            log.error("report not saved: %s", type(e).__name__)
            message = f"**Problem:** The report could not be saved ({type(e).__name__}: {e}). Please try again."
            return message, _button(True)
        return f"**Done.** {filed.message()}", _button(False)

    # --- many tweets -----------------------------------------------------------------------------
    def predict_batch(self, pasted: str, upload):
        """-> (table rows, downloadable CSV path, message)."""
        try:
            texts = read_batch(pasted, upload)
        except ValueError as e:
            return None, None, f"**Problem:** {e}"
        if not texts:
            return None, None, "Paste tweets (one per line) or upload a CSV file with a `text` column."
        if len(texts) > self.cfg.batch_max_rows:
            return None, None, f"**Problem:** {len(texts)} tweets; at most {self.cfg.batch_max_rows} per batch."
        long = [i + 1 for i, t in enumerate(texts) if len(t) > MAX_TEXT_CHARS]
        if long:
            return None, None, f"**Problem:** Tweet(s) {long[:5]} are longer than {MAX_TEXT_CHARS} characters."
        try:
            predictions = self.client.predict(texts)  # in requests of cfg.batch_chunk tweets
        except ApiError as e:
            return None, None, f"**Problem:** {e}"
        rows = [[p.text, p.label, round(p.negative_probability, 4)] for p in predictions]
        path = write_csv(rows)
        negatives = sum(p.label == LABEL_NEGATIVE for p in predictions)
        model = self.answered_by(predictions[-1])
        return rows, str(path), f"{len(rows)} tweets, {negatives} negative. Model: {model}"


def _button(enabled: bool):
    import gradio as gr

    return gr.update(interactive=enabled)


def read_batch(pasted: str | None, upload) -> list[str]:
    """Tweets from the pasted text (one per line) and/or an uploaded CSV (``text`` column, or the
    first column when there is no header named ``text``). Blank lines are skipped."""
    texts = [line.strip() for line in (pasted or "").splitlines() if line.strip()]
    if upload:
        path = Path(upload if isinstance(upload, (str, os.PathLike)) else upload.name)
        try:
            raw = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raw = path.read_text(encoding="latin-1")
        rows = list(csv.reader(io.StringIO(raw)))
        if rows:
            header = [c.strip().lower() for c in rows[0]]
            column = header.index(TEXT_COLUMN) if TEXT_COLUMN in header else 0
            body = rows[1:] if TEXT_COLUMN in header else rows
            texts += [r[column].strip() for r in body if len(r) > column and r[column].strip()]
    return texts


def write_csv(rows: list[list]) -> Path:
    out = Path(tempfile.mkdtemp(prefix="airparadis-batch-")) / "predictions.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(BATCH_COLUMNS)
        writer.writerows(rows)
    return out


def build_app(cfg: UiSettings, handlers: Handlers | None = None):
    import gradio as gr

    h = handlers or Handlers(cfg)
    with gr.Blocks(title="Air Paradis – tweet sentiment", analytics_enabled=False) as app:
        gr.Markdown("# Air Paradis – is this tweet negative?")
        with gr.Row():
            status = gr.Markdown("Checking the prediction API…", elem_id="api-status")
            refresh = gr.Button("Check API", size="sm", scale=0, elem_id="check-api")
        with gr.Tab("One tweet"):
            tweet = gr.Textbox(label="Tweet", lines=3, max_length=MAX_TEXT_CHARS, elem_id="tweet",
                               placeholder="Paste or type a tweet about Air Paradis")
            predict = gr.Button("Predict", variant="primary", elem_id="predict")
            gr.Examples(EXAMPLES, inputs=[tweet], label="Examples")
            with gr.Row():
                result = gr.Markdown(elem_id="result")
                bar = gr.Label(label="Probability", num_top_classes=2, elem_id="probability")
            state = gr.State(None)
            wrong = gr.Button("Wrong prediction", variant="stop", interactive=False, elem_id="wrong")
            report_status = gr.Markdown(elem_id="report-status")
        with gr.Tab("Many tweets"):
            pasted = gr.Textbox(label="Tweets, one per line", lines=6, elem_id="batch-text")
            upload = gr.File(label="…or a CSV file with a `text` column", file_types=[".csv", ".txt"])
            run = gr.Button("Predict all", variant="primary", elem_id="batch-predict")
            batch_status = gr.Markdown(elem_id="batch-status")
            table = gr.Dataframe(headers=BATCH_COLUMNS, label="Predictions", interactive=False, wrap=True)
            download = gr.File(label="Download (CSV)", interactive=False)
        buzz_tab.build_tab(cfg)

        app.load(h.api_status, outputs=status)
        refresh.click(h.api_status, outputs=status)
        predict_event = dict(fn=h.predict, inputs=tweet, outputs=[bar, result, state, wrong])
        predict.click(**predict_event).then(lambda: "", outputs=report_status)
        tweet.submit(**predict_event).then(lambda: "", outputs=report_status)
        wrong.click(h.report_wrong, inputs=state, outputs=[report_status, wrong])
        run.click(h.predict_batch, inputs=[pasted, upload], outputs=[table, download, batch_status])
    return app


# settings that a command-line option overrides: field -> (option, type)
OPTIONS = {"api_url": ("--api-url", str), "host": ("--host", str), "port": ("--port", int),
           "model_name": ("--model-name", str), "model_version": ("--model-version", str)}


def parse_args(argv: list[str] | None = None) -> tuple[UiSettings, bool]:
    """-> (the settings: environment, then options; whether to only show them)."""
    parser = argparse.ArgumentParser(prog="python -m ui.app", description=__doc__.split("\n\n")[0])
    for name, (option, kind) in OPTIONS.items():
        field = UiSettings.model_fields[name]
        parser.add_argument(option, dest=name, type=kind, default=None,
                            help=f"{field.description} (default: ${ui_config.env_var(name)}, else "
                                 f"{shown(field.default)})")
    parser.add_argument("--show-config", action="store_true",
                        help="print every front-end and monitoring setting (variable, value, meaning) and exit")
    args = parser.parse_args(argv)
    overrides = {name: getattr(args, name) for name in OPTIONS if getattr(args, name) is not None}
    return ui_config.settings(**overrides), args.show_config


def checker(credentials: tuple[str, str] | None):
    """Gradio's ``auth``: None (no login), or a check of the login in constant time."""
    if credentials is None:
        return None
    user, password = (c.encode() for c in credentials)

    def check(given_user: str, given_password: str) -> bool:
        same_user = hmac.compare_digest(given_user.encode(), user)
        return hmac.compare_digest(given_password.encode(), password) and same_user

    return check


def show_config(cfg: UiSettings) -> str:
    from monitoring import config as monitoring_config

    return f"{ui_config.show(cfg)}\n\n{monitoring_config.show(monitoring_config.settings())}"


def main(argv: list[str] | None = None) -> int:
    try:
        cfg, only_show = parse_args(argv)
        if only_show:
            print(show_config(cfg))
            return 0
        credentials = ui_config.login(cfg)
    except ConfigError as e:
        print(f"python -m ui.app: {e}", file=sys.stderr)
        return 2
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("azure", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    handlers = Handlers(cfg)
    if handlers.monitoring() is not None:
        print(handlers.monitoring().config.describe(), flush=True)
    print(f"Air Paradis UI on http://{cfg.host}:{cfg.port} (API {cfg.api_url}, model {cfg.model_label})", flush=True)
    if credentials:
        print(f"Login required ({ui_config.env_var('user')} / {ui_config.env_var('password')}): the page listens on "
              f"{cfg.host}, not only on this machine.", flush=True)
    else:
        print(f"No login: the page listens on {cfg.host}, reachable from this machine only.", flush=True)
    build_app(cfg, handlers).launch(server_name=cfg.host, server_port=cfg.port, ssr_mode=False, show_error=False,
                                    enable_monitoring=False, quiet=True, auth=checker(credentials),
                                    auth_message="Air Paradis staff only: sign in to use the page.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
