"""Who may use the prediction API, and how much: API keys and per-client limits (ASGI middleware).

The deployed API runs on a free plan with 60 CPU-minutes a day; anyone who can reach it could spend
them. This layer, wrapped around the hardening layer by :func:`pyfunc.serving.create_app`, closes
that gap:

* **API keys** (``AIRPARADIS_API_KEYS``: one or more keys, or their ``sha256:<hex>`` hashes). When
  keys are set, every request except ``/ping``, ``/health`` and ``/version`` (health checks) needs
  ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; a missing or wrong key gets a JSON 401
  that says how to authenticate. The key sent is hashed and compared with every configured hash
  with :func:`hmac.compare_digest` (constant time, no early exit); it is never logged or echoed.
* **Per-client limits**: a token bucket per client (per key, else per client address; the address
  comes from ``AIRPARADIS_CLIENT_IP_HEADER`` only when it is set, as behind App Service's front
  end) with a steady rate and a burst, and a second bucket of rows per minute so that one client
  cannot loop on 10,000-row batches. Over either: a JSON 429 with ``Retry-After``. The buckets are
  kept for at most ``AIRPARADIS_RATE_CLIENTS`` clients, the least recently seen forgotten first
  (a forgotten client starts again with a full bucket, as an idle one would have), so memory stays
  bounded when many clients come and go. Every request counts, ``/ping`` included (a loop on it
  spends CPU too); limits are per server process (the image runs one).

Keys and the request bucket are checked first, before the body is read, so a refused request costs
almost nothing. Rows are counted inside the hardening layer, on the body it has already checked and
decoded, with its own counting (:func:`pyfunc.request_checks.check_json`, :func:`pyfunc.request_checks.csv_rows`).

With no key set (the local default) nothing changes: :func:`protect` returns the hardened app as it
is. The settings are read once, at start, by :func:`read_settings` (standard library only: this
module travels inside every model, which cannot depend on pydantic); :data:`SETTINGS` declares them
for the README's configuration table. ``python -m pyfunc.access show-config`` prints them (keys
only as a count), ``python -m pyfunc.access new`` makes a key and ``python -m pyfunc.access hash``
turns a key read on stdin into the ``sha256:<hex>`` to configure instead of the key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from pyfunc.request_checks import RequestError, check_json, csv_rows, error_body

logger = logging.getLogger("airparadis.access")

OPEN_PATHS = frozenset({"/ping", "/health", "/version"})  # health checks and the served version: no key
REALM = "air-paradis-sentiment"
HOW = "send the header 'Authorization: Bearer <your key>' (or 'X-API-Key: <your key>')"
HASH_PREFIX = "sha256:"
MIN_KEY_CHARS = 16
_KEY = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: what an HTTP header carries as is
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_TICKET = "airparadis.access"  # scope key: the admitted request's client, shared with the rows check


class Setting(NamedTuple):
    variable: str
    default: str  # as the environment would give it; "" is unset
    description: str


API_KEYS = Setting("AIRPARADIS_API_KEYS", "",
                   "keys accepted, comma-separated: a key (16+ characters) or its sha256:<hex>; unset: no key needed")
RATE_LIMIT = Setting("AIRPARADIS_RATE_LIMIT", "auto",
                     "per-client limits: auto (on when API keys are set), on or off")
RATE_PER_SECOND = Setting("AIRPARADIS_RATE_PER_SECOND", "2", "requests per second per client, steady")
RATE_BURST = Setting("AIRPARADIS_RATE_BURST", "10", "requests a client may send at once above the steady rate")
ROWS_PER_MINUTE = Setting("AIRPARADIS_ROWS_PER_MINUTE", "20000",
                          "rows (tweets) per minute per client, also the most at once; 0: no row limit")
RATE_CLIENTS = Setting("AIRPARADIS_RATE_CLIENTS", "10000",
                       "clients whose buckets are kept at once (the least recently seen forgotten first)")
CLIENT_IP_HEADER = Setting("AIRPARADIS_CLIENT_IP_HEADER", "",
                           "header naming the client (last entry), only behind a proxy that writes it; unset: the peer")
SETTINGS = (API_KEYS, RATE_LIMIT, RATE_PER_SECOND, RATE_BURST, ROWS_PER_MINUTE, RATE_CLIENTS, CLIENT_IP_HEADER)


class AccessConfigError(ValueError):
    """A setting is invalid; the message names its variable (never a key)."""


@dataclass(frozen=True)
class Limits:
    per_second: float
    burst: int
    rows_per_minute: int  # 0: no row limit
    max_clients: int

    def __str__(self) -> str:
        rows = f", {self.rows_per_minute} rows per minute" if self.rows_per_minute else ""
        return f"{self.per_second:g} requests per second (bursts of {self.burst}){rows} per client"


@dataclass(frozen=True)
class AccessSettings:
    key_hashes: tuple[bytes, ...] = ()  # sha256 digests of the accepted keys
    limits: Limits | None = None  # None: no limit
    client_ip_header: str | None = None  # lower case

    @property
    def active(self) -> bool:
        return bool(self.key_hashes or self.limits)

    def describe(self) -> str:
        keys = f"{len(self.key_hashes)} API key(s) required off {', '.join(sorted(OPEN_PATHS))}" \
            if self.key_hashes else "no API key"
        where = f"address from {self.client_ip_header}" if self.client_ip_header else "connection's address"
        limits = f"limits: {self.limits} (client: its key, else its {where})" if self.limits else "no limit"
        return f"access: {keys}; {limits}"


# --- settings -----------------------------------------------------------------------------------
def read_settings(environ: Mapping[str, str] | None = None) -> AccessSettings:
    """The access settings as ``environ`` (default: the process environment) says; an empty
    variable is unset. A bad value raises :class:`AccessConfigError` naming its variable."""
    environ = os.environ if environ is None else environ

    def get(setting: Setting) -> str:
        return environ.get(setting.variable, "").strip() or setting.default

    hashes = parse_keys(get(API_KEYS))
    mode = get(RATE_LIMIT).lower()
    if mode not in ("auto", "on", "off"):
        raise AccessConfigError(f"{RATE_LIMIT.variable}={mode!r}: must be auto, on or off")
    limits = None
    if mode == "on" or (mode == "auto" and hashes):
        limits = Limits(per_second=_number(RATE_PER_SECOND, get(RATE_PER_SECOND), float, minimum=1e-3),
                        burst=_number(RATE_BURST, get(RATE_BURST), int, minimum=1),
                        rows_per_minute=_number(ROWS_PER_MINUTE, get(ROWS_PER_MINUTE), int, minimum=0),
                        max_clients=_number(RATE_CLIENTS, get(RATE_CLIENTS), int, minimum=1))
    header = get(CLIENT_IP_HEADER).lower() or None
    if header and not re.fullmatch(r"[a-z0-9-]+", header):
        raise AccessConfigError(f"{CLIENT_IP_HEADER.variable}={header!r}: must be a header name")
    return AccessSettings(hashes, limits, header)


def _number(setting: Setting, value: str, kind, minimum):
    try:
        number = kind(value)
    except ValueError:
        raise AccessConfigError(f"{setting.variable}={value!r}: must be a number") from None
    if not number >= minimum or math.isinf(number):
        raise AccessConfigError(f"{setting.variable}={value!r}: must be at least {minimum:g}")
    return number


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("latin-1")).digest()


def parse_keys(value: str) -> tuple[bytes, ...]:
    """The sha256 digests of the keys in ``value`` (comma-separated keys or ``sha256:<hex>``)."""
    hashes = []
    for i, entry in enumerate((e.strip() for e in value.split(",")), start=1):
        if not entry:
            continue
        where = f"{API_KEYS.variable}, entry {i}"  # never the value: it is a secret
        if entry.lower().startswith(HASH_PREFIX):
            digest = entry[len(HASH_PREFIX):]
            if not _HEX.fullmatch(digest):
                raise AccessConfigError(f"{where}: a hash is 'sha256:' and 64 hexadecimal digits")
            hashes.append(bytes.fromhex(digest))
        elif not _KEY.fullmatch(entry) or len(entry) < MIN_KEY_CHARS:
            raise AccessConfigError(f"{where}: a key is at least {MIN_KEY_CHARS} printable ASCII characters "
                                    "without spaces (python -m pyfunc.access new makes one)")
        else:
            hashes.append(key_hash(entry))
    return tuple(hashes)


def rows() -> list[tuple[str, str, str]]:
    """(variable, default, description) of every setting, for the README's configuration table."""
    return [(s.variable, s.default or "unset", s.description) for s in SETTINGS]


# --- keys ---------------------------------------------------------------------------------------
def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def presented_key(scope) -> str | None:
    """The key a request carries: ``Authorization: Bearer <key>``, else ``X-API-Key``."""
    scheme, _, token = (_header(scope, b"authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return (_header(scope, b"x-api-key") or "").strip() or None


def match_key(key: str, hashes: tuple[bytes, ...]) -> int | None:
    """Index of the configured key that ``key`` is, compared in constant time with every one."""
    presented, found = key_hash(key), None
    for i, expected in enumerate(hashes):
        if hmac.compare_digest(presented, expected) and found is None:
            found = i
    return found


# --- limits -------------------------------------------------------------------------------------
class _Bucket:
    __slots__ = ("requests", "rows", "stamp")

    def __init__(self, requests: float, rows: float, stamp: float):
        self.requests, self.rows, self.stamp = requests, rows, stamp


class Limiter:
    """Token buckets of requests and rows, one pair per client, for at most ``max_clients`` clients
    (least recently seen forgotten first). ``take_*`` answer 0 when admitted, else the whole
    seconds to wait. One event loop calls them, with no ``await`` in between: no lock needed."""

    def __init__(self, limits: Limits, clock=time.monotonic):
        self.limits, self.clock = limits, clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._rows_per_second = limits.rows_per_minute / 60

    @property
    def clients(self) -> int:
        """How many clients' buckets are kept now."""
        return len(self._buckets)

    def _bucket(self, client: str) -> _Bucket:
        now, limits = self.clock(), self.limits
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(limits.burst, limits.rows_per_minute, now)
            if len(self._buckets) > limits.max_clients:
                self._buckets.popitem(last=False)
            return bucket
        self._buckets.move_to_end(client)
        elapsed, bucket.stamp = now - bucket.stamp, now
        bucket.requests = min(limits.burst, bucket.requests + elapsed * limits.per_second)
        bucket.rows = min(limits.rows_per_minute, bucket.rows + elapsed * self._rows_per_second)
        return bucket

    def take_request(self, client: str) -> int:
        bucket = self._bucket(client)
        if bucket.requests >= 1:
            bucket.requests -= 1
            return 0
        return math.ceil((1 - bucket.requests) / self.limits.per_second)

    def take_rows(self, client: str, rows: int) -> int:
        """A request of more rows than a full bucket passes when the bucket is full and leaves it
        in debt, so no request within the API's own limits is refused for ever."""
        if not self.limits.rows_per_minute:
            return 0
        bucket = self._bucket(client)
        needed = min(rows, self.limits.rows_per_minute)
        if bucket.rows >= needed:
            bucket.rows -= rows
            return 0
        return math.ceil((needed - bucket.rows) / self._rows_per_second)


def client_address(scope, header: str | None) -> str:
    """The client's address: the last entry of ``header`` (the one the proxy in front wrote) when
    it is configured and present, without its port; else the connection's peer."""
    value = _header(scope, header.encode()) if header else None
    if value and value.strip(", "):
        entry = value.split(",")[-1].strip()
        if entry.startswith("["):  # [v6]:port
            return entry[1:].split("]", 1)[0]
        return entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry  # v4:port, or a bare v6
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class _Ticket:
    """An admitted request: its client, and the wait the rows check asked for (the hardening layer
    rebuilds error answers, so the outer layer adds ``Retry-After`` on the way out)."""

    __slots__ = ("client", "retry_after")

    def __init__(self, client: str):
        self.client, self.retry_after = client, 0


# --- the ASGI layers ----------------------------------------------------------------------------
async def _respond(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_many(limiter: Limiter, wait: int, rows: int | None = None) -> bytes:
    limits = limiter.limits
    if rows is None:
        what = (f"too many requests from this client: at most {limits.per_second:g} per second "
                f"(bursts of {limits.burst})")
    else:
        what = (f"too many rows from this client: at most {limits.rows_per_minute} rows per minute, and this "
                f"request holds {rows}")
    return error_body("RATE_LIMITED", f"{what}; retry after {wait} s")


class AccessControl:
    """Keys and the request bucket, in front of the hardened app."""

    def __init__(self, app, settings: AccessSettings, limiter: Limiter | None = None):
        self.app, self.settings, self.limiter = app, settings, limiter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        hashes = self.settings.key_hashes
        key = presented_key(scope) if hashes else None
        index = match_key(key, hashes) if key is not None else None
        address = None
        if index is None:
            address = client_address(scope, self.settings.client_ip_header)
        client = f"key {index + 1}" if index is not None else f"address {address}"
        if self.limiter is not None:
            wait = self.limiter.take_request(client)
            if wait:
                logger.warning("429 %s %s from %s: over %s", scope["method"], scope["path"], client,
                               self.limiter.limits)
                return await _respond(send, 429, _too_many(self.limiter, wait), [(b"retry-after", str(wait).encode())])
        if hashes and index is None and scope["path"].rstrip("/") not in OPEN_PATHS:
            return await self._unauthorized(scope, send, address, wrong=key is not None)
        if self.limiter is None:
            return await self.app(scope, receive, send)
        ticket = _Ticket(client)

        async def send_with_wait(message):
            if message["type"] == "http.response.start" and ticket.retry_after:
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"retry-after", str(ticket.retry_after).encode())]}
            await send(message)

        await self.app({**scope, _TICKET: ticket}, receive, send_with_wait)

    async def _unauthorized(self, scope, send, address: str, wrong: bool) -> None:
        logger.warning("401 %s %s from address %s: %s key", scope["method"], scope["path"], address,
                       "a wrong" if wrong else "no")
        if wrong:
            body = error_body("UNAUTHENTICATED", f"the API key sent is not valid; {HOW} with a valid key")
            challenge = f'Bearer realm="{REALM}", error="invalid_token"'
        else:
            body = error_body("UNAUTHENTICATED", f"this API needs a key: {HOW}")
            challenge = f'Bearer realm="{REALM}"'
        await _respond(send, 401, body, [(b"www-authenticate", challenge.encode())])


class RowLimit:
    """The rows bucket, inside the hardening layer: the body is checked, decoded and of a known
    media type there, and its rows are counted as that layer counts them."""

    def __init__(self, app, limiter: Limiter):
        self.app, self.limiter = app, limiter

    async def __call__(self, scope, receive, send):
        ticket = scope.get(_TICKET)
        if ticket is None or scope["method"] != "POST" or scope["path"].rstrip("/") != "/invocations":
            return await self.app(scope, receive, send)
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, receive, send)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:  # the hardening layer has checked the body: UTF-8, a known media type, valid rows
            text, media = body.decode("utf-8"), _header(scope, b"content-type") or ""
            rows = csv_rows(text) if media.startswith("text/csv") else check_json(text)
        except (UnicodeDecodeError, RequestError):
            rows = 1
        wait = self.limiter.take_rows(ticket.client, rows)
        if wait:
            logger.warning("429 %s %s from %s: %s rows, over %s", scope["method"], scope["path"], ticket.client,
                           rows, self.limiter.limits)
            ticket.retry_after = wait
            return await _respond(send, 429, _too_many(self.limiter, wait, rows), [])
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def protect(app, harden, settings: AccessSettings | None = None, clock=time.monotonic):
    """``harden(app)`` behind access control as the settings (default: :func:`read_settings`) ask:
    keys and the request bucket outside it, the rows bucket inside it. With no key and no limit,
    ``harden(app)`` itself."""
    settings = read_settings() if settings is None else settings
    if not settings.active:
        return harden(app)
    logging.getLogger("uvicorn.error").info(settings.describe())
    limiter = Limiter(settings.limits, clock) if settings.limits else None
    inner = RowLimit(app, limiter) if limiter is not None and settings.limits.rows_per_minute else app
    return AccessControl(harden(inner), settings, limiter)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import secrets
    import sys

    parser = argparse.ArgumentParser(prog="python -m pyfunc.access", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["show-config", "hash", "new"], help=(
        "show-config: the settings as the environment says (keys as a count); hash: the sha256:<hex> of a key "
        "read on stdin, for AIRPARADIS_API_KEYS; new: a new random key"))
    args = parser.parse_args(argv)
    if args.command == "new":
        print(secrets.token_urlsafe(32))
        return 0
    if args.command == "hash":
        key = sys.stdin.readline().strip()
        if not _KEY.fullmatch(key or " ") or len(key) < MIN_KEY_CHARS:
            print(f"a key is at least {MIN_KEY_CHARS} printable ASCII characters without spaces", file=sys.stderr)
            return 2
        print(HASH_PREFIX + key_hash(key).hex())
        return 0
    try:
        settings = read_settings()
    except AccessConfigError as e:
        print(f"invalid setting: {e}", file=sys.stderr)
        return 2
    values = {API_KEYS: f"{len(settings.key_hashes)} set" if settings.key_hashes else "unset"}
    width = max(len(s.variable) for s in SETTINGS)
    print("prediction API access settings (variable, value, meaning):")
    for s in SETTINGS:
        value = values.get(s, os.environ.get(s.variable, "").strip() or s.default or "unset")
        print(f"  {s.variable:<{width}}  {value:<16}  {s.description}")
    print(settings.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
