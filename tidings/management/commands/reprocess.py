import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.models import Article
from pipeline.reprocess import STAGES, reprocess


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
        bars = []

        def bar(name, total):
            if bars:
                bars[-1].close()
            bars.append(tqdm(total=total, desc=name, unit="article", disable=not show, file=sys.stderr))
            return bars[-1].update

        try:
            reprocess(ids, stage, progress=bar)
        finally:
            for each in bars:
                each.close()
        self.stdout.write(f"Reprocessed {len(ids)} articles from the {stage} stage.")
