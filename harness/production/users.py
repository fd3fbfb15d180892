"""Users of a deployment with basic auth, created through MLflow's own user API by the admin."""

from __future__ import annotations

import secrets
from pathlib import Path

from harness.mlflow.api import API, MlflowApi


def create_users(url: str, admin: MlflowApi, names: list[str]) -> dict[str, tuple[str, str]]:
    """Each name becomes a new login (suffixed, so scenarios never meet each other's users) with a new
    password; returns name -> (login, password)."""
    users = {}
    for name in names:
        login, password = f"{name}-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
        admin.call("POST", f"{API}/users/create", json={"username": login, "password": password})
        users[name] = (login, password)
    return users


def files_holding(secret: str, paths: list[Path]) -> list[str]:
    """The files among `paths` whose bytes contain `secret`."""
    needle = secret.encode()
    return [str(path) for path in paths if path.is_file() and needle in path.read_bytes()]


def user_with_experiment(url: str, admin: tuple[str, str], name: str) -> tuple[str, str, str]:
    """A new login created by the admin, and an experiment that login created (MLflow gives it MANAGE):
    (login, password, experiment id)."""
    login, password = create_users(url, MlflowApi(url, admin), [name])[name]
    return login, password, MlflowApi(url, (login, password)).create_experiment(f"{login}-experiment")
