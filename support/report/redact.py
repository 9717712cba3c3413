"""Keep secrets out of everything the suite writes: tokens, passwords, client keys, kubeconfig contents.

A `Redactor` knows the secrets of the connection it was given (the bearer
token, basic-auth password, the client key the official client holds) and
also blanks anything shaped like one: PEM private keys, `Authorization`
headers, and the secret fields of kubeconfig or pod YAML (token, password,
client-key-data, env values of variables named like secrets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MASK = "[redacted]"
MIN_SECRET = 8  # shorter strings would blank ordinary words
_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic)\s+)[^\s\"',}]+"),
    re.compile(r"(?i)((?:token|password|client-key-data|client-key|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{4,}"),
)
_SECRET_NAME = re.compile(r"(?i)(token|secret|password|passwd|api[-_]?key|credential|private[-_]?key)")


@dataclass
class Redactor:
    known: set[str] = field(default_factory=set)

    @classmethod
    def for_client(cls, configuration: Any) -> "Redactor":
        """The secrets an official-client Configuration holds (what its kubeconfig gave it)."""
        redactor = cls()
        for value in (getattr(configuration, "api_key", None) or {}).values():
            redactor.add(str(value).split()[-1] if value else "")
        redactor.add(getattr(configuration, "password", None))
        key_file = getattr(configuration, "key_file", None)
        if key_file and Path(key_file).is_file():
            redactor.add_pem(Path(key_file).read_text(errors="replace"))
        return redactor

    def learn(self, other: "Redactor") -> None:
        self.known |= other.known

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= MIN_SECRET:
            self.known.add(secret)

    def add_pem(self, pem: str) -> None:
        """A PEM key: each of its base64 lines is a secret on its own (a log may cut it anywhere)."""
        for line in pem.splitlines():
            if not line.startswith("-----"):
                self.add(line.strip())

    def text(self, text: str) -> str:
        for secret in sorted(self.known, key=len, reverse=True):
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text

    def data(self, value: Any) -> Any:
        """The same structure with every string redacted, and values of secret-named env vars masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            if _is_secret_env(value):
                return {**value, "value": MASK}
            return {k: self.data(v) for k, v in value.items()}
        return value


def _is_secret_env(item: dict) -> bool:
    """A container env entry {name: API_TOKEN, value: ...} whose name says it holds a secret."""
    return isinstance(item.get("name"), str) and "value" in item and bool(_SECRET_NAME.search(item["name"])) \
        and set(item) <= {"name", "value"}


_shared = Redactor()


def shared() -> Redactor:
    """The process's redactor: `environment.py` teaches it the target's secrets at start."""
    return _shared
