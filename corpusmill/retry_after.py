"""HTTP Retry-After (RFC 9110 10.2.3), shared by the crawler and the LLM client."""
from __future__ import annotations

import email.utils
import time
from datetime import timezone


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT even when it does not say so
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())
