"""The lock's "as of" date as SOURCE_DATE_EPOCH, and epochs as image timestamps. Pure."""

from __future__ import annotations

from datetime import datetime, timezone


def epoch_of(exclude_newer: str | None) -> int:
    """'2026-11-01T00:00:00Z' (a spec's or a lock header's exclude-newer) → seconds; None → 0."""
    if not exclude_newer:
        return 0
    return int(datetime.strptime(exclude_newer, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


def iso_timestamp(epoch: int) -> str:
    """The image's 'created' (config and label): RFC 3339 UTC, second precision."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
