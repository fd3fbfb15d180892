"""The chart's MLflow in single sign-on mode behind the run's identity provider, and clients that present a
token as the proxy in front of it would: Cloudflare Access's header, or an OIDC proxy's bearer."""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.errors import SuiteError
from harness.mlflow.api import MlflowApi
from harness.mlflow.variant import VariantServer
from harness.production.identity import AUDIENCE, IdentityProvider, SigningKey, new_key

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
    """MLflow in sso mode behind `provider`, reached at `url` (one server, or a balancer in front of replicas),
    verifying its certificate with `verify` when it is HTTPS."""

    provider: IdentityProvider
    url: str
    server_args: list[str]
    verify: str | bool = True

    @classmethod
    def of_server(cls, provider: IdentityProvider, server: VariantServer) -> "SsoDeployment":
        return cls(provider, server.url, server.server.server_args)

    def client(self, email: str | None, bearer: bool = False, key: SigningKey | None = None,
               **token: object) -> MlflowApi:
        """A client whose every call carries a token for `email` (None: no token) in Cloudflare's header, or as
        `Authorization: Bearer`; `key` and `token` (audience, issuer, expired) as IdentityProvider.token takes."""
        api = MlflowApi(self.url, verify=self.verify)
        if email is not None:
            signed = self.provider.token(email, key=key, **token)  # type: ignore[arg-type]
            if bearer:
                api.session.headers["Authorization"] = f"Bearer {signed}"
            else:
                api.session.headers[CLOUDFLARE_HEADER] = signed
        return api

    def spoofing_client(self, email: str) -> MlflowApi:
        """A client that claims `email` in the identity header alone, without any token."""
        api = MlflowApi(self.url, verify=self.verify)
        api.session.headers[SPOOFED_IDENTITY_HEADER] = email
        return api

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
