import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from ai import actions as ai_actions
from ai.models import AIOutput
from articles.models import Article
from ingest import pipeline
from stories import actions as story_actions
from stories.models import ArticleHashtag, ArticleVector, RelatedArticle, Story, StoryLink

BATCH = 50
STAGES = ("extract", "embed", "ai")


def _embed_and_consolidate(article_ids):
    """As ingest does it: each batch joins stories, then the stories it touched are consolidated."""
    story_actions.process_articles(article_ids)
    story_actions.consolidate_stories()


class Command(BaseCommand):
    help = (
        "Re-run pipeline stages for stored articles, from the given stage on: extract (fetch the pages again), "
        "embed (vectors, copies, stories, hashtags, related lists) or ai (key points and summaries)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="stage", choices=STAGES, required=True)
        parser.add_argument("--publisher", default="", help="only this publisher's articles (slug)")
        parser.add_argument("--progress", choices=["auto", "always", "never"], default="auto")

    def handle(self, stage, publisher, progress, **options):
        articles = Article.objects.all()
        if publisher:
            articles = articles.filter(publisher__slug=publisher)
            if not articles.exists():
                raise CommandError(f"No articles from a publisher called {publisher!r}.")
        ids = list(articles.order_by("published_at", "pk").values_list("pk", flat=True))
        show = progress == "always" or (progress == "auto" and sys.stderr.isatty())
        stages = STAGES[STAGES.index(stage) :]
        if "extract" in stages:
            Article.objects.filter(pk__in=ids).update(status=Article.Status.PENDING)
            self._batches("extract", ids, pipeline.extract_articles, show)
        if "embed" in stages:
            self._forget_stories(ids)
            self._batches("embed", ids, _embed_and_consolidate, show)
        if "ai" in stages:
            AIOutput.objects.filter(article_id__in=ids, kind=AIOutput.Kind.DIGEST).delete()
            self._batches("ai", ids, ai_actions.precompute_digests_for, show)
        self.stdout.write(f"Reprocessed {len(ids)} articles from the {stage} stage.")

    def _batches(self, name, ids, run, show):
        with tqdm(total=len(ids), desc=name, unit="article", disable=not show, file=sys.stderr) as bar:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                run(chunk)
                bar.update(len(chunk))

    @staticmethod
    def _forget_stories(ids):
        """Story results are rebuilt in publication order, as if the articles had just arrived."""
        with transaction.atomic():
            RelatedArticle.objects.filter(article_id__in=ids).delete()
            ArticleHashtag.objects.filter(article_id__in=ids).delete()
            ArticleVector.objects.filter(article_id__in=ids).delete()
            StoryLink.objects.filter(article_id__in=ids).delete()
            Article.objects.filter(pk__in=ids).update(story=None, duplicate_of=None, processed_at=None)
            Story.objects.filter(articles__isnull=True).delete()
        story_actions.reset_caches()
