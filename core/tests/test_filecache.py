"""core.filecache: the file cache still bounds its directory, counting its files only now and then."""

from core.filecache import CULL_CHECK_EVERY, FileCache


def files(directory) -> int:
    return sum(1 for name in directory.iterdir() if name.suffix == ".djcache")


def test_the_directory_stays_bounded_and_entries_read_back(tmp_path):
    limit = 5 * CULL_CHECK_EVERY
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": limit, "CULL_FREQUENCY": 2}})
    counted = []
    for n in range(6 * limit):
        cache.set(f"page:{n}", n, 60)
        if n % 10 == 0:
            counted.append(files(tmp_path))
    assert limit <= max(counted) <= limit + CULL_CHECK_EVERY  # it reached the limit, and was culled
    assert cache.get(f"page:{6 * limit - 1}") == 6 * limit - 1


def test_fewer_writes_than_the_check_interval_leave_every_entry(tmp_path):
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10}})
    for n in range(CULL_CHECK_EVERY - 1):
        cache.set(f"page:{n}", n, 60)
    assert files(tmp_path) == CULL_CHECK_EVERY - 1
    assert [cache.get(f"page:{n}") for n in (0, CULL_CHECK_EVERY - 2)] == [0, CULL_CHECK_EVERY - 2]
