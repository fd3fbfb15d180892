"""Single sign-on for MLflow's auth app: the request's identity comes from a token an identity-aware proxy signed
(Cloudflare Access sends it as Cf-Access-Jwt-Assertion, an OIDC proxy such as oauth2-proxy as
`Authorization: Bearer`), checked against the issuer's published keys (JWKS): signature, issuer, audience,
expiry. The token's email becomes the MLflow user, created on first sight, so MLflow's permissions apply per
person. An identity header without a valid token (Cf-Access-Authenticated-User-Email) is never trusted.

Set as the auth config's `authorization_function = mlflow_sso:authenticate_request_sso`; configured by
MLFLOW_SSO_ISSUER (compared with the token's iss as it is written), MLFLOW_SSO_AUDIENCE, MLFLOW_SSO_JWKS_URL
(default: Cloudflare Access's certs URL for a *.cloudflareaccess.com issuer, else the issuer's discovery document),
MLFLOW_SSO_EMAIL_CLAIM (email), MLFLOW_SSO_JWKS_CACHE_SECONDS (300: how long a key the issuer stopped
publishing may still be honoured) and MLFLOW_SSO_KEY_REFRESH_COOLDOWN_SECONDS (10: a token with a key id not
seen yet makes the keys be fetched again, at most once in this long, so made-up key ids cannot flood the issuer).
Shipped by the spark-standalone chart (mlflow.auth.mode=sso); needs PyJWT with cryptography.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
import threading
import time
import urllib.parse
import urllib.request

import jwt
from flask import Response, request
from werkzeug.datastructures import Authorization

TOKEN_HEADER = "Cf-Access-Jwt-Assertion"
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384"]
CLOCK_SKEW_S = 30

log = logging.getLogger("mlflow_sso")
# Tokens already checked, for as long as their answer holds: until they expire, and no longer than the keys are
# kept (a key the issuer stops publishing stops working as fast for tokens seen before as for new ones). A
# browser's every request carries the same token, which is checked once, not per request.
_checked: dict[str, tuple[str, float]] = {}  # token -> (email, monotonic time the answer holds until)
_known: set[str] = set()  # users known to exist in MLflow's user store
_lock = threading.Lock()
CHECKED_TOKENS_KEPT = 10_000


@functools.lru_cache(maxsize=1)
def _settings() -> dict[str, str]:
    missing = [name for name in ("MLFLOW_SSO_ISSUER", "MLFLOW_SSO_AUDIENCE") if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"mlflow_sso needs {', '.join(missing)} set")
    return {"issuer": os.environ["MLFLOW_SSO_ISSUER"], "audience": os.environ["MLFLOW_SSO_AUDIENCE"],
            "email_claim": os.environ.get("MLFLOW_SSO_EMAIL_CLAIM", "email"),
            "jwks_url": os.environ.get("MLFLOW_SSO_JWKS_URL", ""),
            "cache_s": os.environ.get("MLFLOW_SSO_JWKS_CACHE_SECONDS", "300"),
            "cooldown_s": os.environ.get("MLFLOW_SSO_KEY_REFRESH_COOLDOWN_SECONDS", "10")}


@functools.lru_cache(maxsize=1)
def _keys() -> jwt.PyJWKClient:
    """The issuer's keys, fetched on first use, again when the cache is older than MLFLOW_SSO_JWKS_CACHE_SECONDS,
    and when a token names a key id not seen yet (after the cooldown)."""
    settings = _settings()
    url, issuer = settings["jwks_url"], settings["issuer"].rstrip("/")
    if not url and (urllib.parse.urlsplit(issuer).hostname or "").endswith(".cloudflareaccess.com"):
        url = f"{issuer}/cdn-cgi/access/certs"  # Access publishes no discovery document at the team domain
    if not url:
        try:
            discovery = f"{issuer}/.well-known/openid-configuration"
            with urllib.request.urlopen(discovery, timeout=10) as answer:  # noqa: S310 - the configured issuer
                url = json.load(answer)["jwks_uri"]
        except (OSError, ValueError, KeyError) as problem:
            raise jwt.PyJWKClientConnectionError(f"cannot read {issuer}'s discovery document: {problem}") from None
    lifespan = max(1, int(settings["cache_s"]))
    try:
        return jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=10,
                               cooldown_duration=int(settings["cooldown_s"]))
    except TypeError:  # PyJWT before 2.11 has no cooldown: it fetches again for every unknown key id
        return jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=10)


def _token() -> str | None:
    if request.headers.get(TOKEN_HEADER):
        return request.headers[TOKEN_HEADER]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _refused(reason: str) -> Response:
    log.warning("refused a request to %s: %s", request.path, reason)
    return Response(f"single sign-on: {reason}\n", status=401, mimetype="text/plain",
                    headers={"WWW-Authenticate": 'Bearer realm="mlflow", error="invalid_token"'})


def identity(jwt_text: str) -> str:
    """The email the token vouches for; jwt.PyJWTError when it is not a valid token of the issuer for the
    audience."""
    checked = _checked.get(jwt_text)
    if checked is not None and checked[1] > time.monotonic():
        return checked[0]
    settings = _settings()
    key = _keys().get_signing_key_from_jwt(jwt_text)
    # The PyJWK itself, not its key: PyJWT then refuses a token whose algorithm is not the key's.
    claims = jwt.decode(jwt_text, key, algorithms=ALGORITHMS, audience=settings["audience"],
                        issuer=settings["issuer"], leeway=CLOCK_SKEW_S,
                        options={"require": ["exp", "iat", "iss", "aud"]})
    email = claims.get(settings["email_claim"])
    if not isinstance(email, str) or "@" not in email:
        raise jwt.InvalidTokenError(f"the token has no {settings['email_claim']} claim")
    if claims.get("email_verified") is False:  # an address the person typed in, at an issuer that says so
        raise jwt.InvalidTokenError("the token's email is not verified")
    holds_s = min(float(claims["exp"]) - time.time(), float(settings["cache_s"]))
    with _lock:
        if len(_checked) >= CHECKED_TOKENS_KEPT:
            _checked.clear()
        _checked[jwt_text] = (email.lower(), time.monotonic() + holds_s)
    return email.lower()


def _known_user(email: str) -> None:
    """Create the MLflow user `email` the first time it is seen (with a password nobody knows: it signs in
    through the proxy only)."""
    from mlflow.server.auth import store  # the auth app's own store, ready once the app has started

    if email in _known:
        return
    if not store.has_user(email):
        try:
            store.create_user(email, secrets.token_urlsafe(32))
            log.info("created the MLflow user %s on its first signed-in request", email)
        except Exception:  # noqa: BLE001 - another worker created it at the same moment
            if not store.has_user(email):
                raise
    _known.add(email)


def authenticate_request_sso() -> Authorization | Response:
    presented = _token()
    if presented is None:
        return _refused(f"no token ({TOKEN_HEADER} or Authorization: Bearer)")
    try:
        email = identity(presented)
    except jwt.PyJWTError as problem:
        return _refused(f"{type(problem).__name__}: {problem}")
    _known_user(email)
    return Authorization("bearer", {"username": email})
