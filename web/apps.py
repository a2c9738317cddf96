from django.apps import AppConfig
from django.db.models.signals import post_delete


class WebConfig(AppConfig):
    name = "web"

    def ready(self):
        from articles.models import Article
        from stories.models import RelatedArticle

        # Deletions cascade without passing through stories.actions (retention, an admin deleting an
        # article): the pages that listed the deleted rows forget what they cached.
        post_delete.connect(_forget_listing_page, sender=RelatedArticle, dispatch_uid="web-related-deleted")
        post_delete.connect(_forget_original_page, sender=Article, dispatch_uid="web-copy-deleted")


def _forget_listing_page(sender, instance, **kwargs):
    from core import pagecache

    pagecache.forget_articles([instance.article_id])


def _forget_original_page(sender, instance, **kwargs):
    from core import pagecache

    pagecache.forget_articles([instance.pk, instance.duplicate_of_id])
