"""Names of things a run creates (experiments, models, buckets, prefixes): readable and never taken twice."""

from __future__ import annotations

import re
import uuid


def unique_name(prefix: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-")[:40]
    return f"{slug}-{uuid.uuid4().hex[:8]}"
