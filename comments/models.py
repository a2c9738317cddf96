"""Readers' comments under articles, with reports and a moderation audit log."""

from django.conf import settings
from django.db import models


class CommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status=Comment.Status.VISIBLE)


class Comment(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HELD = "held", "Held for review"
        HIDDEN = "hidden", "Hidden by a moderator"
        DELETED = "deleted", "Deleted by its author"

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="comments")
    # null once the author deleted their account and chose to keep their comments ("deleted user").
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="comments")  # fmt: skip
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    held_reason = models.CharField(max_length=200, blank=True)
    author_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["article", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="comment_not_its_own_parent"),
        ]

    def __str__(self):
        return f"Comment {self.pk} on article {self.article_id}"


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_reader")]

    def __str__(self):
        return f"Report on comment {self.comment_id}"


class ModerationLog(models.Model):
    class Action(models.TextChoices):
        APPROVE = "approve", "Approved"
        HIDE = "hide", "Hidden"
        RESTORE = "restore", "Restored"
        BAN = "ban", "Banned the author"
        UNBAN = "unban", "Lifted a ban"
        HOLD = "hold", "Held automatically"
        DELETE = "delete", "Deleted someone else's comment"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")  # fmt: skip
    action = models.CharField(max_length=10, choices=Action.choices)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="log")
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")  # fmt: skip
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_id}"
