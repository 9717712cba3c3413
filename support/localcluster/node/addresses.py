"""Pod addresses: 127.B.x.y from a block chosen at random per node, with the pods' ports held.

Linux routes all of 127/8 to loopback, so every pod gets its own address and
its containers bind their real ports. Embedded clusters of parallel runs draw
from different blocks (B in 2..254). Bind, then publish: a pod's address is
chosen only once all its container ports could be bound there, and they stay
bound (not listening: a connection is refused, as to a container whose server
has not started) until each container binds its own port, so no other process
can take them in between; an address whose ports another process holds is skipped.
"""

from __future__ import annotations

import secrets
import socket
import threading


class Reservation:
    """A pod's address and the ports held for its containers until they bind them."""

    def __init__(self, ip: str, held: dict[int, socket.socket]):
        self.ip = ip
        self._held = held
        self._lock = threading.Lock()

    def release(self, port: int) -> None:
        """Let go of `port` (its container is about to bind it); other ports are no-ops."""
        with self._lock:
            held = self._held.pop(port, None)
        if held is not None:
            held.close()

    def close(self) -> None:
        with self._lock:
            held, self._held = list(self._held.values()), {}
        for sock in held:
            sock.close()


class AddressPool:
    def __init__(self, block: int | None = None):
        self.block = block if block is not None else 2 + secrets.randbelow(253)  # 127.2.0.0/16 .. 127.254.0.0/16
        self._number = 0
        self._lock = threading.Lock()

    def reserve(self, ports: list[int]) -> Reservation:
        """The next address of the block with all of `ports` held there (unique for the pool's lifetime)."""
        with self._lock:
            while True:
                self._number += 1
                if self._number >= 0xFFFF:
                    raise RuntimeError(f"the embedded cluster ran out of pod IPs in 127.{self.block}.0.0/16")
                if self._number & 0xFF in (0, 255):
                    continue
                ip = f"127.{self.block}.{self._number >> 8}.{self._number & 0xFF}"
                held = _hold(ip, ports)
                if held is not None:
                    return Reservation(ip, held)


def _hold(ip: str, ports: list[int]) -> dict[int, socket.socket] | None:
    """Every port bound at `ip` (without SO_REUSEADDR: no one else can bind it), or None if one is taken."""
    held: dict[int, socket.socket] = {}
    for port in dict.fromkeys(ports):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((ip, port))
        except OSError:
            sock.close()
            for other in held.values():
                other.close()
            return None
        held[port] = sock
    return held
