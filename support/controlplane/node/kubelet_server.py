"""The kubelet port, for `pods/log`: kube-apiserver calls it with its kubelet client certificate.

    GET /containerLogs/{namespace}/{pod}/{container}?tailLines=&timestamps=&sinceSeconds=&limitBytes=&follow=
    GET /healthz

TLS with the node's serving certificate; only clients with a certificate from the
control plane's CA get in (kube-apiserver's `--kubelet-client-certificate`).
"""

from __future__ import annotations

import ssl
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from support.controlplane.node.supervisor import read_log

LogLookup = Callable[[str, str, str], "tuple[Path, Callable[[], bool]] | None"]  # -> (log file, still running?)
FOLLOW_POLL = 0.2


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # noqa: ANN001 - http.server's signature
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if url.path == "/healthz":
            return self._send(200, "ok")
        if len(parts) != 4 or parts[0] != "containerLogs":
            return self._send(404, f"no route for {url.path}")
        found = self.server.lookup(parts[1], parts[2], parts[3])
        if found is None:
            return self._send(404, f"container {parts[3]} of pod {parts[1]}/{parts[2]} is not on this node")
        path, running = found
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            tail = int(query["tailLines"]) if "tailLines" in query else None
            since = (datetime.now(timezone.utc) - timedelta(seconds=int(query["sinceSeconds"]))
                     if "sinceSeconds" in query else None)
            limit = int(query["limitBytes"]) if "limitBytes" in query else None
        except ValueError as error:
            return self._send(400, f"bad query: {error}")
        stamps = query.get("timestamps") == "true"
        text = read_log(path, tail, stamps, since, limit)
        if query.get("follow") != "true":
            return self._send(200, text)
        self._follow(path, text, stamps, running)

    def _follow(self, path: Path, first: str, stamps: bool, running: Callable[[], bool]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = len(read_log(path, None, True).splitlines())
        self._chunk(first)
        stop = threading.Event()
        while running() and not stop.wait(FOLLOW_POLL):
            lines = read_log(path, None, True).splitlines()
            new, sent = lines[sent:], len(lines)
            if new:
                if not self._chunk("".join((line if stamps else line.split(" ", 1)[-1]) + "\n" for line in new)):
                    return
        self._chunk("")

    def _chunk(self, text: str) -> bool:
        data = text.encode()
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
            return True
        except OSError:
            return False

    def _send(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(address: str, port: int, pki: Path, lookup: LogLookup) -> ThreadingHTTPServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki / "kubelet.crt"), str(pki / "kubelet.key"))
    context.load_verify_locations(str(pki / "ca.crt"))
    context.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer((address, port), _Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.lookup = lookup
    threading.Thread(target=server.serve_forever, name="kubelet-port", daemon=True).start()
    return server
