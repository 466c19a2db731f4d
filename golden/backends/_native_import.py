"""The optional Rust extension ``golden._native`` for the Rust engines, or why it is missing."""

from __future__ import annotations

from typing import Any

__all__ = ["IMPORT_ERROR", "native", "unavailable_reason"]

try:  # without the extension the Rust engines report why they are unavailable
    from .. import _native
except ImportError as _exc:  # pragma: no cover - depends on the build
    native: Any = None
    IMPORT_ERROR: str | None = str(_exc)
else:
    native = _native
    IMPORT_ERROR = None


def unavailable_reason(module: Any, import_error: str | None, symbols: tuple[str, ...]
                       ) -> str | None:
    """Why a Rust engine needing ``symbols`` of ``module`` (``golden._native``) cannot run here."""
    if module is None:
        return f"golden._native is not built ({import_error}); run `make native`"
    missing = [s for s in symbols if not hasattr(module, s)]
    if missing:
        return f"golden._native is stale: it lacks {', '.join(missing)}; run `make native`"
    return None
