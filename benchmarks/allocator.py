"""Fix the C allocator's thresholds, so that no implementation pays for another's frees.

glibc's ``malloc`` adapts two thresholds as a process runs. A block freed from ``mmap``
raises the size above which blocks are mapped, and with it the size of free memory at
the top of the heap above which ``free`` hands pages back to the kernel ("trimming"). The
MLP step allocates and frees arrays of 0.25-1.6 MB; whether a step's frees trim the heap,
so that the next step takes a page fault for every 4 KB it touches again, depends on what
the process allocated before, not on the step. Measured here (2-core VM, 2026-11-25):

- called alone in a loop, the hand-written step took 190-800 page faults per step and
  ran in 4.1-4.3 ms where it takes 2.4 ms without them; gradkit's step took none;
- timed in turns with the hand-written step, as ``run.py`` times, gradkit's step took
  page faults in 43% of its calls in one process (ratio 1.48x) and 22% in another
  (1.29x);
- with the thresholds fixed (below), each took faults in at most 1% of its calls (the
  first calls), and gradkit's ratio was 1.05-1.08x in four runs.

So the benchmarks fix both thresholds for the whole process, for every implementation
alike, before anything is timed: blocks up to 32 MB come from the heap, and the heap is
trimmed only above 1 GB. ``run.py --default-malloc`` times with glibc's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: mallopt's parameter numbers (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

#: The largest mmap threshold glibc accepts on 64-bit machines (HEAP_MAX_SIZE / 2).
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 1024 * 1024 * 1024


def fix_thresholds() -> str:
    """Set glibc's mmap and trim thresholds to fixed values; say what was done.

    Elsewhere (macOS, musl, Windows) nothing is changed, and the returned text says so.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return "allocator: glibc's mallopt is not available here; its defaults are used"
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    if not ok:
        return "allocator: mallopt refused the thresholds; glibc's defaults are used"
    return (
        f"allocator: glibc thresholds fixed for every implementation (mmap above "
        f"{MMAP_THRESHOLD >> 20} MB, trim above {TRIM_THRESHOLD >> 20} MB)"
    )
