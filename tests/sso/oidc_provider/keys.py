"""The provider's RSA keys, made with `cryptography` the first time the provider starts.

Kept as PEM files in the provider's data folder, so a restarted provider keeps publishing
the key its earlier ID tokens were signed with. `signing.pem` is the key the provider
publishes (JWKS) and signs with; `foreign.pem` is never published: the quirk
`foreign-signing-key` signs with it, to make an ID token whose signature is wrong.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def rsa_private_key_pem(path: Path) -> str:
    """The PEM of the RSA key at `path`, generated (2048 bits) when the file is missing."""
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pem)
        path.chmod(0o600)
    return path.read_text()
