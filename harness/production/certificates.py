"""A certificate authority of the run's own and the server certificates it signs, as cert-manager would issue for
the chart's Ingress, its MLflow replicas and its object store: clients verify each server against this CA and
nothing else."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=2)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "spark-mlflow-spec"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _alternative_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


@dataclass(frozen=True)
class ServerCertificate:
    certificate: bytes  # PEM
    key: bytes  # PEM, unencrypted
    ca: bytes  # PEM of the CA that signed it

    def secret(self) -> dict[str, bytes]:
        """The Secret cert-manager would write: tls.crt, tls.key and ca.crt."""
        return {"tls.crt": self.certificate, "tls.key": self.key, "ca.crt": self.ca}

    def write_pem(self, path: Path) -> Path:
        """Certificate then key in one file, as HAProxy loads it; readable by its owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.certificate + self.key)
        path.chmod(0o600)
        return path


class CertificateAuthority:
    def __init__(self, common_name: str = "spec test CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self._certificate = (
            x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .sign(self._key, hashes.SHA256()))

    @property
    def pem(self) -> bytes:
        return _pem(self._certificate)

    def write(self, path: Path) -> Path:
        """The CA's certificate (what a client trusts) at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.pem)
        return path

    def issue(self, hosts: list[str]) -> ServerCertificate:
        """A server certificate for `hosts` (names or IP addresses; the first is its common name)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        server = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(self._certificate.subject)
                  .public_key(key.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
                  .add_extension(x509.SubjectAlternativeName(_alternative_names(hosts)), critical=False)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                  .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                  .sign(self._key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return ServerCertificate(_pem(server), key_pem, self.pem)
