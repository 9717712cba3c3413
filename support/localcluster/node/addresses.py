"""Pod addresses: 127.B.x.y from a block chosen at random per node.

Linux routes all of 127/8 to loopback, so every pod gets its own address and
its containers bind their real ports. Embedded clusters of parallel runs draw
from different blocks (B in 2..254); an address whose container ports another
process holds is skipped.
"""

from __future__ import annotations

import secrets
import socket
import threading


class AddressPool:
    def __init__(self, block: int | None = None):
        self.block = block if block is not None else 2 + secrets.randbelow(253)  # 127.2.0.0/16 .. 127.254.0.0/16
        self._number = 0
        self._lock = threading.Lock()

    def allocate(self, ports: list[int]) -> str:
        """The next address of the block whose `ports` are free (unique for the pool's lifetime)."""
        with self._lock:
            while True:
                self._number += 1
                if self._number >= 0xFFFF:
                    raise RuntimeError(f"the embedded cluster ran out of pod IPs in 127.{self.block}.0.0/16")
                ip = f"127.{self.block}.{self._number >> 8}.{self._number & 0xFF}"
                if self._number & 0xFF not in (0, 255) and all(port_free(ip, port) for port in ports):
                    return ip


def port_free(ip: str, port: int) -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        probe.close()
