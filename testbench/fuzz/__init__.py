"""Property-based campaigns (hypothesis): the campaign machinery, saved transactions and
the transaction strategies.

``testbench.fuzz.strategies`` imports hypothesis; this package does not (until a campaign runs).
"""

from . import campaign, replay
from .campaign import *  # noqa: F403 - the public names are listed once, in each __all__
from .replay import *  # noqa: F403

__all__: list[str] = []
__all__ += campaign.__all__
__all__ += replay.__all__
