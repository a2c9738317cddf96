from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair_fulltext(sender, using, **kwargs):
    from django.db import connections

    from search import fulltext

    fulltext.repair(connections[using])


class SearchConfig(AppConfig):
    name = "search"

    def ready(self):
        post_migrate.connect(_repair_fulltext, sender=self, dispatch_uid="search.repair_fulltext")
