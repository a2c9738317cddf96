"""How articles relate: stories (coverage of one event), vectors, hashtags, related lists."""

from datetime import timedelta

from django.db import models
from django.db.models import Count, Prefetch, Q
from django.urls import reverse

from core import clock

# Top stories and trending tags look at this much recent news.
FRESH_FOR = timedelta(hours=48)
# A story's page (and the API's story) shows each publisher's first report, at most this many publishers,
# then the timeline in pages of this many articles ("more coverage"): a story can hold hundreds.
STORY_LEADS = 20
STORY_TIMELINE_PAGE = 50


class StoryQuerySet(models.QuerySet):
    def top(self):
        """Stories told by several publishers, most publishers first, then freshest, with their articles."""
        from articles.models import Article

        # Only what the home page shows of the coverage (its publishers): a top story may hold hundreds of articles.
        lead = (
            Article.objects.filter(duplicate_of__isnull=True)
            .select_related("publisher")
            .only("story", "title", "published_at", "publisher__name", "publisher__slug")
            .order_by("published_at")
        )
        return (
            self.filter(last_published_at__gte=clock.now() - FRESH_FOR, publisher_count__gte=2)
            .order_by("-publisher_count", "-last_published_at")
            .prefetch_related(Prefetch("articles", queryset=lead, to_attr="coverage"))
        )


class Story(models.Model):
    title = models.CharField(max_length=500)
    first_published_at = models.DateTimeField()
    last_published_at = models.DateTimeField(db_index=True)
    article_count = models.PositiveIntegerField(default=0)
    publisher_count = models.PositiveIntegerField(default=0, help_text="Distinct publishers, copies counted once.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when consolidation moved all of this story's articles into another: its page redirects there.
    # Always the story that holds them now, never one merged in turn (stories.actions._apply_moves).
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = StoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "stories"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("story", args=[self.pk])

    def timeline(self):
        """Every article of the story, copies included, oldest first (page it: STORY_TIMELINE_PAGE)."""
        return self.articles.order_by("published_at", "pk")

    def leads(self):
        """Each publisher's first report (copies left out: they have no page), first to report first; slice it
        (STORY_LEADS). The window runs over this story's rows only (its index on story)."""
        from django.db.models import F, Window
        from django.db.models.functions import RowNumber

        first = Window(RowNumber(), partition_by=[F("publisher_id")], order_by=[F("published_at"), F("pk")])
        return (
            self.articles.filter(duplicate_of__isnull=True)
            .annotate(nth_of_publisher=first)
            .filter(nth_of_publisher=1)
            .order_by("published_at", "pk")
        )

    def coverage_publishers(self) -> list[str]:
        """Distinct publishers of the prefetched coverage (StoryQuerySet.top), first to report first."""
        names: list[str] = []
        for article in getattr(self, "coverage", []):
            if article.publisher.name not in names:
                names.append(article.publisher.name)
        return names


class ArticleVector(models.Model):
    """An article's embedding and text signature. The id grows with insertion, so each worker loads new rows
    incrementally into its in-memory index."""

    article = models.OneToOneField("articles.Article", on_delete=models.CASCADE, related_name="vector")
    model = models.CharField(max_length=64)
    dimension = models.PositiveSmallIntegerField()
    vector = models.BinaryField()
    text_signature = models.BinaryField(null=True, blank=True, help_text="MinHash of the body, for finding copies.")
    headline_key = models.CharField(
        max_length=500, blank=True, default="", help_text="Folded headline of a headline-only item, for finding copies."
    )
    published_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.model} vector of article {self.article_id}"


class HashtagQuerySet(models.QuerySet):
    def trending(self):
        recent = Q(article_hashtags__article__published_at__gte=clock.now() - FRESH_FOR)
        return (
            self.annotate(recent_articles=Count("article_hashtags", filter=recent))
            .filter(recent_articles__gte=2)
            .order_by("-recent_articles", "label")
        )


class Hashtag(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    label = models.CharField(max_length=100)

    objects = HashtagQuerySet.as_manager()

    def __str__(self):
        return f"#{self.label}"

    def get_absolute_url(self):
        return reverse("hashtag", args=[self.slug])


class ArticleHashtag(models.Model):
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="article_hashtags")
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="article_hashtags")
    rank = models.PositiveSmallIntegerField()
    # The article's own tag when its story names the same person in full (hashtags.person_folds): kept so
    # the fold can be undone when the article, or the full name's article, leaves the story.
    folded_from = models.ForeignKey(Hashtag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "hashtag"], name="unique_article_hashtag")]
        ordering = ["rank"]

    def __str__(self):
        return f"{self.hashtag} on article {self.article_id}"


class RelatedArticle(models.Model):
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    reason = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "related"], name="unique_related_pair")]
        ordering = ["rank"]

    def __str__(self):
        return f"{self.article_id} → {self.related_id} ({self.reason})"


class StoryLink(models.Model):
    """Evidence that two articles report the same story: their similarity when the later one arrived
    (only pairs at or above clustering.LINK_FLOOR). Consolidation re-draws stories over these links."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="story_links")
    earlier = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "earlier"], name="unique_story_link")]

    def __str__(self):
        return f"{self.article_id} ~ {self.earlier_id} ({self.score:.2f})"


class ClusteringLock(models.Model):
    """One row, locked while a worker assigns stories, so two workers never start the same story twice."""

    name = models.CharField(max_length=20, unique=True)
    # StoryLink ids up to this one have been consolidated (stories.actions.consolidate_stories).
    consolidated_through = models.BigIntegerField(default=0)

    def __str__(self):
        return self.name
