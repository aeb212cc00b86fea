"""The misprediction report: the one record every part agrees on (see ARCHITECTURE.md)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

from monitoring.times import to_utc, utc_now
from pyfunc.names import LABEL_NEGATIVE, LABEL_NOT_NEGATIVE, LABELS, MAX_TEXT_CHARS

FIELDS = ("text", "predicted_label", "negative_probability", "model_name", "model_version", "reported_at", "source")


class InvalidReport(ValueError):
    """A report that cannot be filed; the message says which field is wrong."""


@dataclass(frozen=True)
class MispredictionReport:
    """A user says the model got ``text`` wrong. ``reported_at`` is UTC."""

    text: str
    predicted_label: str
    negative_probability: float
    model_name: str
    model_version: str
    reported_at: datetime = field(default_factory=utc_now)
    source: str = "ui"

    def __post_init__(self):
        if not isinstance(self.text, str) or not self.text.strip():
            raise InvalidReport("text is empty: there is no tweet to report")
        if len(self.text) > MAX_TEXT_CHARS:
            raise InvalidReport(f"text is longer than {MAX_TEXT_CHARS} characters")
        if self.predicted_label not in LABELS:
            raise InvalidReport(f"predicted_label must be one of {LABELS}, got {self.predicted_label!r}")
        try:
            prob = float(self.negative_probability)
        except (TypeError, ValueError) as e:
            raise InvalidReport(f"negative_probability is not a number: {self.negative_probability!r}") from e
        if math.isnan(prob) or not 0.0 <= prob <= 1.0:
            raise InvalidReport(f"negative_probability must be in [0, 1], got {prob}")
        object.__setattr__(self, "negative_probability", prob)
        object.__setattr__(self, "model_version", str(self.model_version))
        object.__setattr__(self, "reported_at", to_utc(self.reported_at))

    @property
    def true_label(self) -> str:
        """The label the reporter implies (the opposite of the prediction): used to relabel."""
        return LABEL_NOT_NEGATIVE if self.predicted_label == LABEL_NEGATIVE else LABEL_NEGATIVE

    def to_dimensions(self) -> dict[str, str]:
        """The custom dimensions of the Application Insights event (strings, timestamp in ISO 8601)."""
        values = asdict(self)
        values["reported_at"] = self.reported_at.isoformat()
        values["negative_probability"] = repr(self.negative_probability)
        return {k: str(values[k]) for k in FIELDS}

    @classmethod
    def from_dimensions(cls, values: dict) -> MispredictionReport:
        return cls(**{k: values[k] for k in FIELDS})
