"""The chart's MLflow in single sign-on mode behind the run's identity provider, and clients that present a
token as the proxy in front of it would: Cloudflare Access's header, or an OIDC proxy's bearer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from harness.errors import SuiteError
from harness.mlflow.api import MlflowApi
from harness.production.identity import AUDIENCE, IdentityProvider, SigningKey, new_key
from harness.production.stack import ProductionStack

CLOUDFLARE_HEADER = "Cf-Access-Jwt-Assertion"
SPOOFED_IDENTITY_HEADER = "Cf-Access-Authenticated-User-Email"  # what Cloudflare adds beside the token
ADMIN_EMAIL = "mlflow-admin@example.org"  # the chart's adminUsername in sso mode: an identity, not a login
# Short, so that the rotation scenario sees a removed key stop working within a second rather than five minutes;
# no cooldown, so a new key id is fetched at once.
KEY_CACHE_S = 1


def sso_values(provider: IdentityProvider, quick_rotation: bool = True) -> dict[str, str]:
    """The chart values that put its MLflow behind `provider`; with `quick_rotation` its key cache is KEY_CACHE_S
    with no cooldown, else the chart's defaults."""
    values = {"mlflow.auth.enabled": "true", "mlflow.auth.mode": "sso", "mlflow.auth.adminUsername": ADMIN_EMAIL,
              "mlflow.auth.sso.issuer": provider.url, "mlflow.auth.sso.audience": AUDIENCE}
    if quick_rotation:
        values |= {"mlflow.auth.sso.jwksCacheSeconds": str(KEY_CACHE_S),
                   "mlflow.auth.sso.keyRefreshCooldownSeconds": "0"}
    return values


@dataclass
class SsoDeployment:
    """The production deployment rendered with sso_values(provider): its replicas behind the balancer, HTTPS end
    to end, reached through the balancer and verified with the deployment's CA."""

    provider: IdentityProvider
    stack: ProductionStack

    @property
    def url(self) -> str:
        return self.stack.url

    @property
    def server_args(self) -> list[str]:
        return self.stack.replicas[0].server.server_args

    def _api(self) -> MlflowApi:
        """A client of the balancer that verifies it with the deployment's CA and presents nothing."""
        return MlflowApi(self.url, verify=str(self.stack.ca_path))

    def requests_taken(self) -> dict[str, int]:
        """Requests each replica has taken from the balancer so far."""
        return {replica.name: self.stack.balancer_state(replica.name).sessions_total for replica in self.stack.replicas}

    def client(self, email: str | None, bearer: bool = False, key: SigningKey | None = None,
               **token: object) -> MlflowApi:
        """A client whose every call carries a token for `email` (None: no token) in Cloudflare's header, or as
        `Authorization: Bearer`; `key` and `token` (audience, issuer, expired) as IdentityProvider.token takes."""
        api = self._api()
        if email is not None:
            signed = self.provider.token(email, key=key, **token)  # type: ignore[arg-type]
            if bearer:
                api.session.headers["Authorization"] = f"Bearer {signed}"
            else:
                api.session.headers[CLOUDFLARE_HEADER] = signed
        return api

    def spoofing_client(self, email: str) -> MlflowApi:
        """A client that claims `email` in the identity header alone, without any token."""
        api = self._api()
        api.session.headers[SPOOFED_IDENTITY_HEADER] = email
        return api

    def first_calls_at_once(self, email: str, count: int) -> list[int]:
        """`count` tracking calls of a person MLflow has not seen yet, released together from threads of their own,
        each with a token and a connection of its own (as browser tabs would): what each was answered."""
        start = threading.Barrier(count)

        def call(_: int) -> int:
            client = self.client(email)
            start.wait(timeout=30)
            return client.tracking_call_status()

        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(call, range(count)))

    def admin(self) -> MlflowApi:
        return self.client(ADMIN_EMAIL)

    def client_presenting(self, token: str) -> MlflowApi:
        """A client with a token that is not the provider's for this application, by the name a feature gives it."""
        someone, stranger = "mallory@example.org", new_key()
        made = {
            "an expired token": lambda: self.client(someone, expired=True),
            "a token for another application": lambda: self.client(someone, audience="another-application"),
            "a token from another issuer": lambda: self.client(someone, issuer="https://idp.example.org"),
            "a token signed by a key the identity provider never published": lambda: self.client(someone, key=stranger),
            "a token that names the provider's key but was signed by another": lambda: self.client(
                someone, key=SigningKey(self.provider.current.kid, stranger.private)),
            "no token": lambda: self.client(None),
        }
        if token not in made:
            raise SuiteError(f"no such token: {token!r}", f"use one of: {'; '.join(made)}")
        return made[token]()

    def wait_out_key_cache(self) -> None:
        """Past the time the server keeps the keys it fetched (KEY_CACHE_S)."""
        time.sleep(KEY_CACHE_S + 0.5)
