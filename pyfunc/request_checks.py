"""The checks of one prediction request, before it reaches MLflow, and the error each refusal gives.

Below both layers of the API that use them: the hardening layer (:mod:`pyfunc.serving`: media type,
encoding, size, UTF-8, JSON envelope, rows) and the access layer (:mod:`pyfunc.access`: it counts a
request's rows with the same :func:`check_json` and :func:`csv_rows`). Each refusal is a
:class:`RequestError` (HTTP status, error code, message that says what to send instead); MLflow's
own error messages are cleaned by :func:`clean_message`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
import zlib

from pyfunc.contract import MAX_ERROR_MESSAGE_CHARS
from pyfunc.names import MAX_BATCH_ROWS, TEXT_COLUMN

ACCEPTED_TYPES = ("application/json", "text/csv")
ACCEPTED_ENCODINGS = ("gzip", "identity")
ENVELOPES = ("dataframe_records", "dataframe_split", "instances", "inputs")
EXAMPLE = f'{{"dataframe_records": [{{"{TEXT_COLUMN}": "your tweet"}}]}}'
_PATH = re.compile(r"(?:[A-Za-z]:\\|/)(?:[\w.@+-]+[/\\])+[\w.@+-]*")
_ECHO = re.compile(r"^Failed to predict data .*?\nError: ", re.S)
_SCHEMA = re.compile(r"Failed to enforce schema of data .*? with schema .*?\. Error: ", re.S)
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}
_NOISE = (" IMPORTANT: The MLflow Model scoring protocol", "\nInput: ")


class RequestError(Exception):
    """A request refused before it reaches MLflow: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode()


def clean_message(message: str) -> str:
    """An MLflow error message without the echoed input, protocol notice or file paths, bounded."""
    message = _SCHEMA.sub("input does not match the model signature: ", _ECHO.sub("", str(message)))
    for noise in _NOISE:
        message = message.split(noise, 1)[0]
    message = _PATH.sub("<path>", message).strip()
    if len(message) > MAX_ERROR_MESSAGE_CHARS:
        message = message[: MAX_ERROR_MESSAGE_CHARS - 3] + "..."
    return message or "bad request"


def check_content_type(value: str | None) -> str:
    """The request's media type, lower case, if accepted; else :class:`RequestError` (415)."""
    if not value:
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE",
                           f"missing Content-Type header; send 'Content-Type: application/json' and {EXAMPLE}")
    media, *params = [p.strip().lower() for p in value.split(";")]
    if media not in ACCEPTED_TYPES:
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE",
                           f"unsupported Content-Type '{clean_message(value)[:80]}'; accepted: "
                           f"{', '.join(ACCEPTED_TYPES)} (UTF-8)")
    unknown = [p.split("=", 1)[0] for p in params if p and not p.startswith("charset=")]
    if unknown:
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE", f"unsupported Content-Type parameter(s) "
                           f"{', '.join(clean_message(u)[:40] for u in unknown)}; only charset=utf-8 is accepted")
    charset = [p.split("=", 1)[1].strip('"') for p in params if p.startswith("charset=")]
    if charset and charset[0] not in ("utf-8", "utf8"):
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE", f"unsupported charset '{charset[0][:40]}'; send UTF-8")
    return media


def check_encoding(value: str | None) -> str:
    """The body's content coding, lower case, if accepted (none means identity); else 415."""
    codings = [c.strip().lower() for c in (value or "identity").split(",")]
    if len(codings) == 1 and codings[0] in ACCEPTED_ENCODINGS:
        return codings[0]
    raise RequestError(415, "UNSUPPORTED_ENCODING",
                       f"unsupported Content-Encoding '{clean_message(value)[:80]}'; accepted: one of "
                       f"{', '.join(ACCEPTED_ENCODINGS)}")


def too_large(limit: int, decompressed: bool = False) -> RequestError:
    where = " once decompressed" if decompressed else ""
    return RequestError(413, "REQUEST_TOO_LARGE", f"the body is larger than {limit} bytes{where}; split the batch")


def gunzip(body: bytes, limit: int) -> bytes:
    """A gzip body decompressed (concatenated members too), never more than ``limit`` bytes."""
    not_gzip = RequestError(400, "BAD_REQUEST", "the body declared Content-Encoding: gzip but is not valid gzip")
    parts, size = [], 0
    while body:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing only
        try:
            part = inflater.decompress(body, limit + 1 - size)  # stops one byte over the limit
        except zlib.error:
            raise not_gzip from None
        size += len(part)
        if size > limit:
            raise too_large(limit, decompressed=True)
        if not inflater.eof:  # cut short
            raise not_gzip
        parts.append(part)
        body = inflater.unused_data
    return b"".join(parts)


def check_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:  # MLflow's message would carry the exception's repr: the whole body
        raise RequestError(400, "BAD_REQUEST", f"the body is not valid UTF-8 (byte {e.start})") from None


def check_json(text: str) -> int:
    """Refuse a body MLflow would answer badly (not JSON, not exactly one input envelope, no rows);
    return its row count."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as e:
        raise RequestError(400, "BAD_REQUEST",
                           f"the body is not valid JSON ({e.msg} at line {e.lineno} column {e.colno}); "
                           f"send {EXAMPLE}") from None
    except ValueError:  # an integer over Python's digit limit (MLflow's parser would fail with a 500)
        raise RequestError(400, "BAD_REQUEST", f"the JSON body holds a number too long (over "
                           f"{sys.get_int_max_str_digits()} digits); send texts as strings") from None
    except RecursionError:
        raise RequestError(400, "BAD_REQUEST", "the JSON body is nested too deeply") from None
    if not isinstance(payload, dict):
        kind = _JSON_KINDS.get(type(payload), type(payload).__name__)
        raise RequestError(400, "BAD_REQUEST", f"the JSON body must be an object, got {kind}; send {EXAMPLE}")
    found = [k for k in ENVELOPES if k in payload]
    if len(found) != 1:
        raise RequestError(400, "BAD_REQUEST",
                           f"the JSON object must hold exactly one of {', '.join(ENVELOPES)} (found "
                           f"{', '.join(found) or 'none'}); send {EXAMPLE}")
    if payload[found[0]] in (None, [], {}):
        raise RequestError(400, "BAD_REQUEST", f"'{found[0]}' holds no rows; send at least one text, e.g. {EXAMPLE}")
    return json_rows(found[0], payload[found[0]])


def json_rows(envelope: str, value) -> int:
    """Rows in an envelope: a list of rows, a split frame's ``data`` or a dict of columns."""
    if envelope == "dataframe_split" and isinstance(value, dict):
        value = value.get("data")
    if isinstance(value, dict):
        return max((len(column) for column in value.values() if isinstance(column, list)), default=1)
    return len(value) if isinstance(value, list) else 1


def csv_rows(text: str) -> int:
    """Data rows of a CSV body: records after the header (a quoted newline stays in its record),
    blank lines skipped as pandas skips them."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))  # one field may be the whole body
    try:
        return max(sum(1 for record in csv.reader(io.StringIO(text, newline="")) if record) - 1, 0)
    except csv.Error as e:
        raise RequestError(400, "BAD_REQUEST", f"the body is not valid CSV ({clean_message(e)[:100]})") from None


def check_rows(rows: int, limit: int = MAX_BATCH_ROWS) -> None:
    if rows > limit:
        raise RequestError(413, "TOO_MANY_ROWS",
                           f"the request holds {rows} rows; send at most {limit} rows per request; "
                           f"split the batch into {math.ceil(rows / limit)} requests")
