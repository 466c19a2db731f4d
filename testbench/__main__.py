"""``python -m testbench``: the same as the ``sctb`` console script."""

from .cli import main

if __name__ == "__main__":  # guarded: spawned sweep workers import this module
    raise SystemExit(main())
