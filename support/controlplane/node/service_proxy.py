"""The kubernetes Service for pods: KUBERNETES_SERVICE_HOST:443 forwards to kube-apiserver on loopback.

There is no kube-proxy; this one Service is what in-cluster clients (the controller pod) need.
It listens on the Service address the node's bridge carries and relays bytes both ways (TLS
passes through: the API server's certificate names the Service address).
"""

from __future__ import annotations

import socket
import threading


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


class ServiceProxy:
    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int]):
        self.upstream = upstream
        self._server = socket.create_server(listen, reuse_port=False)
        self._server.settimeout(0.5)
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, name="kubernetes-service", daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        self._server.close()
