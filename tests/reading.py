"""What a reader of a rendered document sees, checked the same way for the decks and the article
(shared by tests/unit/test_publish.py and tests/integration/test_documents.py):

- the numbers it shows (each must come from a measured figure);
- French typography faults: a decimal point or an ISO date (a French reader expects ``81,5 %`` and
  ``22 février 2015``), a size in megabytes with more than one decimal (``5,349 Mo`` reads as
  thousands: ``5,3 Mo``), and a ``%`` without its narrow no-break space;
- the words a reader reads (pictures and comments left out), for an article's length.
"""

from __future__ import annotations

import re

NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d[\d,]*(?:\.\d+)?(?![A-Za-z0-9_])")
FRENCH_FAULTS = re.compile(r"\d\.\d|\b\d{4}-\d{2}-\d{2}\b|\d,\d{2,}\s?Mo\b")
NNBSP_PERCENT = "\u202f%"


def numbers(text: str) -> set[str]:
    return {n.rstrip(",") for n in NUMBER.findall(text)}


def french_faults(text: str) -> list[str]:
    """Every decimal point, ISO date, over-precise size in Mo and bare ``%`` (one not after a narrow
    no-break space) in ``text``."""
    bare = ["%"] * re.sub(NNBSP_PERCENT, "", text).count("%")
    return FRENCH_FAULTS.findall(text) + bare


def words(markdown: str) -> int:
    """The words of a Markdown text, its pictures and HTML comments left out."""
    return len(re.sub(r"!\[[^\]]*\]\([^)]+\)|<!--.*?-->", "", markdown, flags=re.S).split())
