"""The chart's single sign-on module (charts/spark-standalone/files/mlflow_sso.py) against an identity provider of
the test's own: which tokens it takes for whom, and which it refuses. The acceptance feature runs it inside a real
MLflow server; these pin each rule down one at a time."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType
from typing import Iterator

import flask
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness.production.identity import AUDIENCE, IdentityProvider, new_key

MODULE = Path(__file__).resolve().parents[1] / "charts" / "spark-standalone" / "files" / "mlflow_sso.py"


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    started = IdentityProvider()
    started.start()
    yield started
    started.stop()


@pytest.fixture
def sso(provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The module as a server loads it, configured for `provider` (each test its own copy: caches included)."""
    monkeypatch.setenv("MLFLOW_SSO_ISSUER", provider.url)
    monkeypatch.setenv("MLFLOW_SSO_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("MLFLOW_SSO_KEY_REFRESH_COOLDOWN_SECONDS", "0")
    spec = importlib.util.spec_from_file_location("mlflow_sso_under_test", MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_token_of_the_issuer_for_the_audience_vouches_for_its_email(sso, provider):
    assert sso.identity(provider.token("Alice@Example.org")) == "alice@example.org"


@pytest.mark.parametrize("bad", ["expired", "wrong audience", "wrong issuer", "another key", "no email"])
def test_a_token_that_is_not_the_issuers_for_the_audience_is_refused(sso, provider, bad):
    token = {
        "expired": lambda: provider.token("a@example.org", expired=True),
        "wrong audience": lambda: provider.token("a@example.org", audience="another-application"),
        "wrong issuer": lambda: provider.token("a@example.org", issuer="https://evil.example.org"),
        "another key": lambda: provider.token("a@example.org", key=new_key()),
        "no email": lambda: provider.token("not-an-email"),
    }[bad]()
    with pytest.raises(jwt.PyJWTError):
        sso.identity(token)


def test_a_token_whose_issuer_says_the_email_is_not_verified_is_refused(sso, provider):
    token = jwt.encode({**jwt.decode(provider.token("a@example.org"), options={"verify_signature": False}),
                        "email_verified": False}, provider.current.private, algorithm="RS256",
                       headers={"kid": provider.current.kid})
    with pytest.raises(jwt.InvalidTokenError, match="not verified"):
        sso.identity(token)


def test_a_token_claiming_another_algorithm_for_the_providers_key_is_refused_not_an_error(sso, provider):
    forged = jwt.encode({"iss": provider.url, "aud": AUDIENCE, "email": "a@example.org", "exp": 2**31, "iat": 0},
                        ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                        headers={"kid": provider.current.kid})
    with pytest.raises(jwt.PyJWTError):
        sso.identity(forged)


def test_the_issuer_is_compared_as_written_a_trailing_slash_included(sso, provider, monkeypatch):
    monkeypatch.setenv("MLFLOW_SSO_ISSUER", provider.url + "/")
    sso._settings.cache_clear()
    assert sso.identity(provider.token("a@example.org", issuer=provider.url + "/")) == "a@example.org"


def test_a_cloudflare_access_issuer_needs_no_discovery_document(sso, monkeypatch):
    monkeypatch.setenv("MLFLOW_SSO_ISSUER", "https://team.cloudflareaccess.com")
    sso._settings.cache_clear()
    assert sso._keys().uri == "https://team.cloudflareaccess.com/cdn-cgi/access/certs"


def test_an_unreachable_issuer_refuses_the_request_instead_of_failing_it(sso, monkeypatch):
    monkeypatch.setenv("MLFLOW_SSO_ISSUER", "http://127.0.0.1:9")
    sso._settings.cache_clear()
    with pytest.raises(jwt.PyJWKClientConnectionError, match="cannot read http://127.0.0.1:9's discovery document"):
        sso._keys()


def test_after_a_rotation_the_new_key_is_fetched_at_once_and_the_removed_one_refused(sso, provider):
    sso.identity(provider.token("a@example.org"))
    fetches = provider.jwks_fetches
    old = provider.rotate()
    assert sso.identity(provider.token("a@example.org")) == "a@example.org"
    assert provider.jwks_fetches == fetches + 1, "an unknown key id fetches the keys once"
    with pytest.raises(jwt.PyJWTError):
        sso.identity(provider.token("a@example.org", key=old))


def test_within_the_cooldown_a_made_up_key_id_fetches_no_keys(sso, provider, monkeypatch):
    monkeypatch.setenv("MLFLOW_SSO_KEY_REFRESH_COOLDOWN_SECONDS", "60")
    sso._settings.cache_clear()
    sso.identity(provider.token("a@example.org"))
    for _ in range(5):
        with pytest.raises(jwt.PyJWTError):
            sso.identity(provider.token("a@example.org", key=new_key()))
    assert provider.jwks_fetches == 1


def test_a_token_seen_before_is_taken_again_unchecked_but_no_longer_than_the_keys_are_kept(sso, provider,
                                                                                           monkeypatch):
    monkeypatch.setenv("MLFLOW_SSO_JWKS_CACHE_SECONDS", "1")
    sso._settings.cache_clear()
    token = provider.token("a@example.org")
    sso.identity(token)
    provider.rotate()
    assert sso.identity(token) == "a@example.org", "checked a moment ago: taken as it was"
    time.sleep(1.2)
    with pytest.raises(jwt.PyJWTError):
        sso.identity(token)


def test_keys_are_fetched_once_for_many_tokens(sso, provider):
    for _ in range(50):
        sso.identity(provider.token("a@example.org"))
    assert provider.jwks_fetches == 1


@pytest.mark.parametrize(("headers", "found"), [
    ({"Cf-Access-Jwt-Assertion": "t1"}, "t1"),
    ({"Authorization": "Bearer t2"}, "t2"),
    ({"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}, None),
    ({"Cf-Access-Authenticated-User-Email": "admin@example.org"}, None),
    ({}, None),
])
def test_the_token_comes_from_the_proxys_header_or_a_bearer_never_from_an_identity_header(sso, headers, found):
    with flask.Flask(__name__).test_request_context(headers=headers):
        assert sso._token() == found


def test_a_request_without_a_token_is_answered_401_with_the_reason(sso):
    with flask.Flask(__name__).test_request_context(headers={"Cf-Access-Authenticated-User-Email": "a@example.org"}):
        answer = sso.authenticate_request_sso()
    assert answer.status_code == 401 and "no token" in answer.get_data(as_text=True)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_without_issuer_or_audience_the_module_says_what_to_set(sso, monkeypatch):
    monkeypatch.delenv("MLFLOW_SSO_AUDIENCE")
    with pytest.raises(RuntimeError, match="needs MLFLOW_SSO_AUDIENCE set"):
        sso._settings()
