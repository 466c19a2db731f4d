"""The optional Rust extension ``golden._native`` for the Rust engines, or why it is missing."""

from __future__ import annotations

from typing import Any

__all__ = ["IMPORT_ERROR", "native"]

try:  # without the extension the Rust engines report why they are unavailable
    from .. import _native
except ImportError as _exc:  # pragma: no cover - depends on the build
    native: Any = None
    IMPORT_ERROR: str | None = str(_exc)
else:
    native = _native
    IMPORT_ERROR = None
