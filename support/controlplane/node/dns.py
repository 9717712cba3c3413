"""The cluster's DNS for pods: `<service>.<namespace>.svc.cluster.local` answered on the node address.

Pods' resolv.conf (network.resolver_files) names this responder and the kubelet's search path,
so `mock-dcgm-exporter`, `mock-dcgm-exporter.<ns>` and the full name all resolve. Only Service
names are answered (A records; other types get an empty answer); every other name is NXDOMAIN,
so nothing a pod looks up leads off the machine. UDP only, answers are far below 512 bytes.
"""

from __future__ import annotations

import re
import socket
import threading
from typing import Callable

from dnslib import QTYPE, RCODE, RR, A, DNSRecord, DNSError

from support.controlplane import network

TTL = 5
_NAME = re.compile(rf"^(?P<service>[a-z0-9-]+)\.(?P<namespace>[a-z0-9-]+)\.svc\.{re.escape(network.CLUSTER_DOMAIN)}\.?$")

Lookup = Callable[[str, str], list[str]]  # (namespace, service) -> addresses


def answer(query: bytes, lookup: Lookup) -> bytes | None:
    """The reply to one query packet (None: not a DNS query, dropped)."""
    try:
        request = DNSRecord.parse(query)
    except (DNSError, ValueError, IndexError):
        return None
    reply = request.reply()
    for question in request.questions:
        name = str(question.qname).lower()
        match = _NAME.match(name)
        addresses = lookup(match["namespace"], match["service"]) if match else []
        if not addresses:
            reply.header.rcode = RCODE.NXDOMAIN
        elif question.qtype in (QTYPE.A, QTYPE.ANY):
            for address in addresses:
                reply.add_answer(RR(question.qname, QTYPE.A, rdata=A(address), ttl=TTL))
    return reply.pack()


class DnsResponder:
    def __init__(self, address: str, lookup: Lookup, port: int = 53):
        self._lookup = lookup
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((address, port))
        self._socket.settimeout(0.5)
        self._stopped = threading.Event()
        threading.Thread(target=self._serve, name="cluster-dns", daemon=True).start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                query, client = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = answer(query, self._lookup)
            except Exception:  # noqa: BLE001 - one bad packet never stops the node's DNS
                reply = None
            if reply is not None:
                try:
                    self._socket.sendto(reply, client)
                except OSError:
                    pass

    def close(self) -> None:
        self._stopped.set()
        self._socket.close()
