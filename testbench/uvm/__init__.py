"""pyuvm environment of sc_dense: item, sequences, driver, scoreboard, coverage, env, tests."""

from . import env
from .env import *  # noqa: F403 - the public names are env.__all__, listed once there

__all__: list[str] = []
__all__ += env.__all__
