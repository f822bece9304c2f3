"""The test IdP's keys: an RSA key and a self-signed certificate for it, made with
`cryptography` when the IdP starts (nothing checked in). `signing` is the pair the IdP
publishes in its metadata and signs with; `foreign` is never published: the quirk
`foreign-key` signs with it, to make an assertion whose signature is wrong."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    key_file: Path
    cert_file: Path

    @property
    def cert_pem(self) -> str:
        return self.cert_file.read_text()

    @property
    def cert_base64(self) -> str:
        """The certificate as SAML metadata and allauth's settings write it: base64 DER,
        without the PEM armour."""
        lines = self.cert_pem.strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def key_pair(folder: Path, name: str, *, common_name: str) -> KeyPair:
    """An RSA key (2048 bits) and a certificate for it valid for a day, as PEM files
    `<name>.key` and `<name>.crt` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pair = KeyPair(folder / f"{name}.key", folder / f"{name}.crt")
    pair.key_file.write_bytes(
        key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
    )
    pair.key_file.chmod(0o600)
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pair
