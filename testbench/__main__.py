"""``python -m testbench``: the same as the ``sctb`` console script."""

from .cli import main

raise SystemExit(main())
