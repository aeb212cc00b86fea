"""Figures written as a reader of each language expects them, applied to every value a document shows.

- dates in words, in both languages: ``2015-02-22`` -> ``22 February 2015`` / ``22 février 2015``
  (a time after an ISO date is dropped: a document dates a measurement by its day);
- French: decimal comma, thin no-break space between thousands and before ``%``
  (``81.5%`` -> ``81,5 %``, ``1,120,556`` -> ``1 120 556``) and hours as ``8 h`` / ``8 h 30``.
"""

from __future__ import annotations

import re
from datetime import date

NNBSP = "\u202f"  # narrow no-break space, the French typographic space before % and between thousands
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
}
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}| UTC)?)?")
CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")


def day_in_words(day: date, lang: str) -> str:
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def localise(text: str, lang: str) -> str:
    """``text`` with its dates in words and, in French, its numbers in French typography."""
    text = ISO_DATE.sub(lambda m: day_in_words(date(*map(int, m.groups())), lang), text)
    if lang != "fr":
        return text
    text = CLOCK.sub(lambda m: f"{int(m[1])} h" + (f" {m[2]}" if m[2] != "00" else ""), text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", NNBSP, text)
    text = re.sub(r"(?<=\d)\.(?=\d)", ",", text)
    return re.sub(r"(?<=\d) ?%", NNBSP + "%", text)


def number(value: float, lang: str, decimals: int = 1, unit: str = "") -> str:
    """A chart label: ``81.5%`` / ``81,5 %``."""
    return localise(f"{value:,.{decimals}f}{unit}", lang)
