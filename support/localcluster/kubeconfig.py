"""The kubeconfig that points kubectl and the official client at the embedded cluster.

The embedded API server speaks TLS with the fixed loopback certificate below,
because kubectl (client-go) only sends a bearer token over TLS: over plain
http it drops the kubeconfig's credentials and every call would be 401.
The certificate is self-signed for 127.0.0.1/localhost, valid until 2126, and
protects nothing: it exists so the token travels. It is its own CA, so the
kubeconfig carries it as `certificate-authority-data` and clients verify it.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

NAME = "budspec-local"

LOOPBACK_CERT = """\
-----BEGIN CERTIFICATE-----
MIIByzCCAXCgAwIBAgIUSy4JH769i0OJQvQ2G5cdbVPDpsIwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNYnVkc3BlYy1sb2NhbDAgFw0yNjExMjUwNzAwMDVaGA8yMTI2
MTEwMTA3MDAwNVowGDEWMBQGA1UEAwwNYnVkc3BlYy1sb2NhbDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABBAKEwiZ0my2N5pPIaNYfvFvM6GVULrGQCX++5Mcn4wW
nDXvAzITooxX12XDCg6429w56m3zWTAAGpLP18OF3N6jgZUwgZIwHQYDVR0OBBYE
FKP6MMNrv2CpFJVrJgIg0RifuNU8MB8GA1UdIwQYMBaAFKP6MMNrv2CpFJVrJgIg
0RifuNU8MBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAPBgNVHRMBAf8EBTAD
AQH/MA4GA1UdDwEB/wQEAwIChDATBgNVHSUEDDAKBggrBgEFBQcDATAKBggqhkjO
PQQDAgNJADBGAiEA3R0DOi2gAzzlFo421XCmszgPG8LQJG5U/Xex2mP02lsCIQDL
aMRpX182683BiL2xEvsXl2At4Qr3tXC+Wel9nLjjaw==
-----END CERTIFICATE-----
"""

LOOPBACK_KEY = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgErhvrzJJnlCj6OnN
gWG5+yh4a1qnjXEpYhEE7kfMxSyhRANCAAQQChMImdJstjeaTyGjWH7xbzOhlVC6
xkAl/vuTHJ+MFpw17wMyE6KMV9dlwwoOuNvcOept81kwABqSz9fDhdze
-----END PRIVATE KEY-----
"""


def kubeconfig(server_url: str, token: str, ca_pem: str | None = None) -> dict:
    cluster: dict = {"server": server_url}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem.encode()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": NAME, "cluster": cluster}],
        "users": [{"name": NAME, "user": {"token": token}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": NAME, "namespace": "default"}}],
        "current-context": NAME,
        "preferences": {},
    }


def write_kubeconfig(path: Path, server_url: str, token: str, ca_pem: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig(server_url, token, ca_pem), sort_keys=False))
    path.chmod(0o600)
    return path


def write_tls_files(directory: Path) -> tuple[Path, Path]:
    """The loopback certificate and key as files (ssl wants paths): (cert, key)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "apiserver.crt", directory / "apiserver.key"
    cert.write_text(LOOPBACK_CERT)
    key.write_text(LOOPBACK_KEY)
    key.chmod(0o600)
    return cert, key
