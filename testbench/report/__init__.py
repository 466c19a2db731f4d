"""Reports: rich tables (tables), the self-contained HTML report (html), the sc_forward accuracy
study (accuracy). Import the submodules; this package imports nothing (matplotlib stays
optional)."""

__all__: list[str] = []
