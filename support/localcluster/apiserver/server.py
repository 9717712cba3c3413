"""The API server on HTTP(S): one thread per connection, HTTP/1.1 keep-alive, chunked watch streams.

`ApiServer` serves an `Api` on 127.0.0.1 (port 0 = any free port), HTTPS when given a
certificate: kubectl only sends a bearer token over TLS.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from support.localcluster.apiserver.request import Request, Response, Streaming
from support.localcluster.apiserver.routing import Api
from support.localcluster.errors import bad_request

class _MalformedBody(ValueError):
    """A request whose body cannot even be framed (bad Content-Length, bad chunk size)."""


_PLAIN_REQUEST_LINE = re.compile(r"[A-Z]+ [^ ]+ HTTP/1\.[01]")
_MAX_HEADER_LINE, _MAX_HEADERS = 65536, 100  # http.client's limits


class _Headers(dict):
    """A request's headers by lower-case name, the first of repeated ones (as Go's Header.Get)."""

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(name.lower(), default)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_HttpServer"

    def parse_request(self) -> bool:
        """http.server's, with the header lines read here: its email-package parser cost a fifth of a
        small request. Anything but a plain HTTP/1.x request line gets the standard checks and answers."""
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        if not _PLAIN_REQUEST_LINE.fullmatch(requestline):
            return super().parse_request()
        self.requestline = requestline
        self.command, path, self.request_version = requestline.split(" ")
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        self.close_connection = self.request_version == "HTTP/1.0"
        headers = self._read_headers()
        if headers is None:
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = headers.get("connection", "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive":
            self.close_connection = False
        if headers.get("expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def _read_headers(self) -> _Headers | None:
        headers = _Headers()
        last = None
        for _ in range(_MAX_HEADERS + 1):
            line = self.rfile.readline(_MAX_HEADER_LINE + 1)
            if len(line) > _MAX_HEADER_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return None
            if line in (b"\r\n", b"\n", b""):
                return headers
            text = line.decode("iso-8859-1")
            if text[0] in " \t" and last is not None:  # an obsolete folded continuation
                headers[last] = f"{headers[last]} {text.strip()}"
                continue
            name, colon, value = text.partition(":")
            if colon:
                last = name.strip().lower()
                headers.setdefault(last, value.strip())
        self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
        return None

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        split = urlsplit(self.path)
        try:
            body = self._read_body()
        except _MalformedBody as error:  # what net/http answers before any handler runs; the stream is lost
            self.close_connection = True
            response = Response.json(400, bad_request(str(error)).status())
        else:
            request = Request(self.command, split.path, dict(parse_qsl(split.query, keep_blank_values=True)),
                              split.query, {k.lower(): v for k, v in self.headers.items()}, body)
            response = self.server.api.handle(request)
        if self.server.api.stopped:
            self.close_connection = True
        if isinstance(response, Streaming):
            self._stream(response)
            return
        reason = self.responses.get(response.code, ("",))[0]
        extra = "".join(f"{name}: {value}\r\n" for name, value in response.headers)
        head = (f"{self.protocol_version} {response.code} {reason}\r\n"
                f"Date: {self.date_time_string()}\r\nContent-Type: {response.content_type}\r\n{extra}"
                f"Content-Length: {len(response.body)}\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (response.body if self.command != "HEAD" else b""))  # one write: no Nagle stall

    def _stream(self, response: Streaming) -> None:
        head = (f"{self.protocol_version} {response.code} OK\r\nDate: {self.date_time_string()}\r\n"
                f"Content-Type: {response.content_type}\r\nTransfer-Encoding: chunked\r\n"
                "Cache-Control: no-cache, private\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head)
        except OSError:
            response.stream.finish()
            self.close_connection = True
            return
        ended = response.stream.serve(self.connection, lambda data: self.wfile.write(
            b"%x\r\n%s\r\n" % (len(data), data)))
        if ended:
            try:
                self.wfile.write(b"0\r\n\r\n")
                if not self.server.api.stopped:
                    return
            except OSError:
                pass
        self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        text = (self.headers.get("Content-Length") or "0").strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise _MalformedBody(f"bad Content-Length {text!r}")
        length = int(text)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            if not re.fullmatch(rb"[0-9a-fA-F]{1,16}", line):
                raise _MalformedBody(f"invalid byte in chunk length {line[:20]!r}")
            size = int(line, 16)
            if size == 0:
                break
            body += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        return body

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet by design
        pass


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api, tls: ssl.SSLContext | None):
        super().__init__(address, _Handler)
        self.api, self.tls = api, tls

    def process_request_thread(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        # The TLS handshake runs here, in the connection's own thread, never in the accept loop.
        request.settimeout(60)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)


class ApiServer:
    """`Api` served on 127.0.0.1 (port 0 = any free port) in a daemon thread; HTTPS when given cert+key."""

    def __init__(self, api: Api, port: int = 0, host: str = "127.0.0.1", tls_files: tuple[str, str] | None = None):
        self.api = api
        self._httpd = _HttpServer((host, port), self.api, _tls_context(tls_files))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="budspec-apiserver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        scheme = "https" if self._httpd.tls is not None else "http"
        return f"{scheme}://{host}:{port}"

    def start(self) -> "ApiServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.api.stopped = True
        self.api.watches.close_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _tls_context(tls_files: tuple[str, str] | None) -> ssl.SSLContext | None:
    if tls_files is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    return context
