"""A cache write on a single-machine install: Django's FileBasedCache against core.filecache.FileCache, side by
side in one run, each on its own directory already holding --entries entries.

usage: .venv/bin/python bench/file_cache.py [--entries 20000] [--writes 300]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_write_ms(backend_class, entries: int, writes: int) -> float:
    from core.filecache import FileCache

    options = {"OPTIONS": {"MAX_ENTRIES": 10 * (entries + writes)}}
    with tempfile.TemporaryDirectory() as directory:
        filler = FileCache(directory, options)  # the same files either way, written without a count each
        for n in range(entries):
            filler.set(f"filler:{n}", n, 3600)
        cache = backend_class(directory, options)
        times = []
        for n in range(writes):
            started = time.perf_counter()
            cache.set(f"page:{n}", "x" * 2000, 60)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    import django

    django.setup()
    from django.core.cache.backends.filebased import FileBasedCache

    from core.filecache import FileCache

    load = os.getloadavg()[0]
    print(f"median ms a write, {args.entries:,} entries already cached, {args.writes} writes, load {load:.1f}")
    for name, backend in (("Django FileBasedCache", FileBasedCache), ("core.filecache.FileCache", FileCache)):
        print(f"  {name:<26} {median_write_ms(backend, args.entries, args.writes):8.3f}")


if __name__ == "__main__":
    main()
