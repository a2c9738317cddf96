"""The cache of a single-machine install: Django's file cache, counting its files less often.

Django's FileBasedCache lists its whole directory on every write to see whether it holds more than
MAX_ENTRIES files (`_cull`): 70 ms a write at 20,000 entries on this machine, and a busy site's cache grows
to that many (bench/file_cache.py). Here the count is taken once every CULL_CHECK_EVERY writes of each cache
instance, so the directory may overshoot MAX_ENTRIES by that many files per web thread or worker before it is
culled: the limit bounds disk use, it was never exact.
"""

from django.core.cache.backends.filebased import FileBasedCache

CULL_CHECK_EVERY = 100


class FileCache(FileBasedCache):
    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._writes_since_count = 0

    def _cull(self):
        self._writes_since_count += 1
        if self._writes_since_count < CULL_CHECK_EVERY:
            return
        self._writes_since_count = 0
        super()._cull()
