"""A real HTTP receiver on 127.0.0.1 standing in for the Application Insights ingestion endpoint
(``POST /v2.1/track`` with a JSON list of envelopes; answers like Breeze: 200 and item counts).
It can be stopped and started again on the same port to play an outage."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import free_port


class IngestionReceiver:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.envelopes: list[dict] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request seen
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def connection_string(self) -> str:
        return f"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={self.endpoint}"

    def events(self, name: str) -> list[dict]:
        """Custom-event envelopes whose event name is ``name``."""
        with self._lock:
            return [e for e in self.envelopes
                    if e.get("data", {}).get("baseType") == "EventData" and e["data"]["baseData"].get("name") == name]

    def start(self) -> IngestionReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with receiver._lock:
                    receiver.requests.append(("POST", self.path))
                if not self.path.rstrip("/").endswith("/v2.1/track"):
                    self.send_response(404)
                    self.end_headers()
                    return
                items = json.loads(body)
                with receiver._lock:
                    receiver.envelopes.extend(items)
                answer = json.dumps({"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
