"""A small cache-based limiter for failed attempts at something guessable (links with a token).

The login has its own throttling (allauth's ``ACCOUNT_RATE_LIMITS``); this covers the pages that
need no login. It counts failures per scope and client address in a fixed window that starts at
the first failure, in the shared cache (``settings.CACHES``), so all workers see the same count.
"""

from django.core.cache import cache


def _key(scope: str, ident: str | None) -> str:
    return f"vakwerk:ratelimit:{scope}:{ident or '-'}"


def is_blocked(scope: str, ident: str | None, *, limit: int) -> bool:
    """Whether ``ident`` has failed ``limit`` times or more in the current window."""
    return int(cache.get(_key(scope, ident), 0)) >= limit


def record_failure(scope: str, ident: str | None, *, window: int) -> None:
    """Count one failure of ``ident``; the count is forgotten ``window`` seconds after the first."""
    key = _key(scope, ident)
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
