"""Resident-memory cost of decoding one payload in the current process, read from the kernel (Linux).

Standard library only, so odatakit (the project's venv) and the peers (.bench-venv) are measured the same
way: import and warm up everything first, read the payload, then call `measure`. It collects garbage, reads
the current RSS (/proc/self/statm) and the peak so far (getrusage ru_maxrss, KiB on Linux), decodes once, reads
the peak, collects garbage again with the result alive and reads the RSS. `retained_mib` is RSS after minus
before: the live result, plus whatever freed memory the allocator keeps rather than hands back (an upper bound
on the result's own size, the same bound for every contender). `peak_mib` is the peak after decoding minus the
RSS before: what the decode needed at its worst, transient garbage included. Meaningful once per fresh
process: ru_maxrss never goes down.
"""

from __future__ import annotations

import gc
import os
import resource
import tracemalloc
from collections.abc import Callable

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def current_rss() -> int:
    """The process's resident set size now, in bytes (second field of /proc/self/statm, in pages)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


def peak_rss() -> int:
    """The process's peak resident set size so far, in bytes (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(decode: Callable[[bytes], object], data: bytes) -> dict[str, float | bool]:
    """Retained and peak RSS, in MiB, of one `decode(data)` whose result stays alive until both are read."""
    gc.collect()
    rss_before = current_rss()
    peak_before = peak_rss()
    result = decode(data)
    peak_after = max(peak_rss(), current_rss())  # the kernel's high-water mark can lag the last few pages
    gc.collect()
    rss_after = current_rss()
    del result  # alive through both readings
    return {
        "rss_before_mib": round(rss_before / MIB, 1),
        "retained_mib": round((rss_after - rss_before) / MIB, 1),
        "peak_mib": round((peak_after - rss_before) / MIB, 1),
        # False: the process had peaked higher before decoding, so peak_mib is only an upper bound.
        "peak_raised": peak_after > peak_before,
    }


def live(decode: Callable[[bytes], object], data: bytes) -> float:
    """MiB of Python heap one `decode(data)` leaves alive, garbage collected, counted by tracemalloc.

    What the result itself holds, without what the allocator keeps of freed memory (which `measure`'s
    RSS figure includes). The payload is copied inside the count, so a result that keeps the body's
    bytes is charged for them, as a client page that keeps its response body would be.
    """
    gc.collect()
    tracemalloc.start()
    try:
        fresh = bytes(bytearray(data))
        result = decode(fresh)
        del fresh
        gc.collect()
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del result
    return round(current / MIB, 1)
