"""The layer classes of ``ember.nn``, one file per family."""

from .container import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
