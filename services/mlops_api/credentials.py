"""The credentials a job runs its MLflow calls with, kept encrypted in its record until it ends (any replica
may start it), with a key from the service's Secret."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet


class Vault:
    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))

    def seal(self, username: str, password: str) -> bytes:
        return self._fernet.encrypt(json.dumps([username, password]).encode())

    def open(self, sealed: bytes) -> tuple[str, str]:
        username, password = json.loads(self._fernet.decrypt(bytes(sealed)))
        return str(username), str(password)
