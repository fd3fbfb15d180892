"""An identity provider of the run's own, as Cloudflare Access or an OIDC proxy's issuer is to the chart's single
sign-on: RSA keys it makes, a discovery document and the keys (JWKS) served over HTTP on loopback, and tokens it
signs for an email. It can rotate its key and counts how often its keys were fetched."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.system.ports import LOOPBACK

AUDIENCE = "spark-mlflow-spec-mlflow"  # the application the tokens are for (Cloudflare Access: its AUD tag)
JWKS_PATH = "/cdn-cgi/access/certs"  # where Cloudflare Access publishes its keys


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}


def new_key() -> SigningKey:
    return SigningKey(f"key-{secrets.token_hex(4)}", rsa.generate_private_key(public_exponent=65537, key_size=2048))


class IdentityProvider:
    """Started by start(), stopped by stop(); `url` is its issuer URL."""

    def __init__(self, host: str = LOOPBACK) -> None:
        self.host = host  # where it listens: with pods, the run's address on their bridge, which pods reach too
        self.current = new_key()
        self.published: list[SigningKey] = [self.current]
        self.jwks_fetches = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the identity provider is not started"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.url, "jwks_uri": provider.url + JWKS_PATH}
                elif self.path == JWKS_PATH:
                    body = provider._jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                """No access log: what the suite reads of the requests is the count of key fetches."""

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="identity-provider", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _jwks(self) -> dict[str, Any]:
        with self._lock:
            self.jwks_fetches += 1
            return {"keys": [key.jwk() for key in self.published]}

    def rotate(self) -> SigningKey:
        """A new signing key, published in place of the current one (which is no longer published); the old key."""
        with self._lock:
            old, self.current = self.current, new_key()
            self.published = [self.current]
        return old

    def token(self, email: str, audience: str = AUDIENCE, issuer: str | None = None, expired: bool = False,
              key: SigningKey | None = None) -> str:
        """A token for `email` as the proxy in front of MLflow would send it, signed by the current key or `key`;
        an `expired` one ran out ten minutes ago (far beyond any clock skew a server allows)."""
        issued = int(time.time()) - (900 if expired else 0)
        claims = {"iss": issuer or self.url, "aud": audience, "sub": email, "email": email, "iat": issued,
                  "nbf": issued - 1, "exp": issued + 300, "jti": secrets.token_hex(8)}
        signer = key or self.current
        return jwt.encode(claims, signer.private, algorithm="RS256", headers={"kid": signer.kid})
