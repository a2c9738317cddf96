"""What the task queue keeps beside django-tasks-db's own table: one heartbeat row per live worker."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """A worker process (on any machine) writes its row every few seconds while it runs.

    A task left RUNNING by a worker whose row has gone quiet was abandoned (kill -9, out of memory, a
    machine lost) and is queued again; tasks take ids and are safe to run twice.
    """

    worker_id = models.CharField(max_length=200, primary_key=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.worker_id} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
