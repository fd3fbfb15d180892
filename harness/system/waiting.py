"""Polling with a deadline: every wait names what it awaited and what it last saw."""

from __future__ import annotations

from typing import Callable, TypeVar

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

T = TypeVar("T")


class WaitTimeout(Exception):
    """The awaited condition was not reached; the message says what was awaited and why it stopped."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"gave up waiting for {what}: {detail}")
        self.what = what
        self.detail = detail


def wait_for(
    probe: Callable[[], T | None],
    what: str,
    timeout: float,
    interval: float = 0.25,
    give_up: Callable[[], str | None] = lambda: None,
) -> T:
    """Call `probe` until it returns something truthy and return that.

    `probe` may raise; the last exception or falsy value becomes "last seen". `give_up` is asked between
    tries and may return a reason to stop early (e.g. the process being waited on has exited).
    """
    last_seen = ["nothing yet"]

    def attempt() -> T | None:
        reason = give_up()
        if reason:
            raise _GaveUp(reason)
        try:
            result = probe()
        except Exception as exc:  # noqa: BLE001 - any failure of the probe is "not ready yet"
            last_seen[0] = f"{type(exc).__name__}: {exc}"[:300]
            return None
        if not result:
            last_seen[0] = repr(result)[:300]
        return result

    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry=retry_if_result(lambda r: not r),
    )
    try:
        return retrying(attempt)  # type: ignore[return-value]
    except RetryError:
        raise WaitTimeout(what, f"no success in {timeout:.0f}s; last seen: {last_seen[0]}") from None
    except _GaveUp as stop:
        raise WaitTimeout(what, str(stop)) from None


class _GaveUp(Exception):
    """Raised inside the retry loop to stop it at once (give_up said so)."""
