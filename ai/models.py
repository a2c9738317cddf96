"""Every AI output with its provenance: which engine and model wrote it, from which text, at what cost."""

from django.db import models


class AIOutput(models.Model):
    class Kind(models.TextChoices):
        DIGEST = "digest", "Key points and summary"
        EXPLAINER = "explainer", "Explained for newcomers"
        ANSWER = "answer", "Answer to a question"
        BRIEFING = "briefing", "Story briefing"

    article = models.ForeignKey("articles.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="ai")
    story = models.ForeignKey("stories.Story", null=True, blank=True, on_delete=models.CASCADE, related_name="ai")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    engine = models.CharField(max_length=32, help_text="extractive (built in) or the generative provider's name")
    model = models.CharField(max_length=200)
    prompt_version = models.CharField(max_length=32)
    source_hash = models.CharField(max_length=64, help_text="sha256 of the text the output was made from")
    question = models.TextField(blank=True)
    content = models.JSONField(help_text="Items of {text, spans} (or the briefing), every sentence cited.")
    sentences_dropped = models.PositiveIntegerField(default=0, help_text="Generated sentences the verifier refused.")
    duration_ms = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["article", "kind"]), models.Index(fields=["story", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "kind", "engine"],
                condition=models.Q(kind="digest") | models.Q(kind="explainer"),
                name="one_digest_per_article_and_engine",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.engine} ({self.model})"


class TokenUsage(models.Model):
    """Tokens spent on the generative model per day, for the daily budget."""

    day = models.DateField(unique=True)
    tokens = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.tokens} tokens"
