"""The C heap under Python (glibc's malloc): handing free pages back to the system, and mapping
large blocks apart so that freeing them returns their memory. Elsewhere than on Linux with glibc,
both do nothing."""

from __future__ import annotations

import contextlib
import ctypes
import sys

_M_MMAP_THRESHOLD = -3  # mallopt(3)
LARGE_BLOCK = 1024 * 1024  # bytes from which the C heap gets memory of its own for a block


def large_blocks_apart() -> None:
    """Have the C heap map blocks of LARGE_BLOCK bytes and more apart, and unmap them when freed.
    By default the threshold rises to the largest block freed so far, so that after one page of
    megabytes, the text of every large page comes from the heap and the heap only grows: the list
    pages' peaks then add up instead of coming and going."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK)


def give_back_memory() -> None:
    """Return the C heap's free pages to the system."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
