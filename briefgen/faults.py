"""Crash points for the fault-injection tests (tests/test_faults.py).

With BRIEFGEN_CRASH_AT=NAME in the environment, the process kills itself with SIGKILL when it
reaches the point of that name (NAME#N: the Nth time it does): no cleanup, no `finally`, as if the
power went. Unset, as it always is outside those tests, a crash point costs one comparison.
"""

from __future__ import annotations

import os
import signal

_AT, _, _NTH = os.environ.get("BRIEFGEN_CRASH_AT", "").partition("#")
_reached = [0]


def crash_point(name: str) -> None:
    if name == _AT:
        _reached[0] += 1
        if _reached[0] >= int(_NTH or 1):
            os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["crash_point"]
