"""TCP relays on Service addresses: the node's stand-in for kube-proxy.

`Relay` listens on an address the node's bridge carries and relays bytes both ways to an
upstream chosen per connection (a Service's ready endpoint; nothing ready: the connection is
closed at once, as a Service without endpoints refuses it). `ServiceProxy` is the kubernetes
Service: KUBERNETES_SERVICE_HOST:443 to kube-apiserver on loopback (TLS passes through: the API
server's certificate names the Service address), what in-cluster clients (the controller pod) use.
"""

from __future__ import annotations

import socket
import threading
from typing import Callable

Upstream = Callable[[], "tuple[str, int] | None"]


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        source.close()


class Relay:
    def __init__(self, listen: tuple[str, int], upstream: Upstream, name: str = "relay"):
        self.listen = listen
        self._upstream = upstream
        self._server = socket.create_server(listen, reuse_port=False)
        self._server.settimeout(0.5)
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, name=name, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        client.settimeout(None)
        target = self._upstream()
        try:
            if target is None:
                raise OSError("no ready endpoint")
            upstream = socket.create_connection(target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        self._server.close()


class ServiceProxy(Relay):
    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int]):
        super().__init__(listen, lambda: upstream, name="kubernetes-service")
