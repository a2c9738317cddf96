"""The moderation queue: held and reported comments first. Every action goes through comments.actions,
so the moderation log records who did what."""

from django.contrib import admin, messages
from django.db.models import Case, Count, IntegerField, Q, Value, When

from . import actions
from .models import Comment, CommentReport, ModerationLog


class ReportInline(admin.TabularInline):
    model = CommentReport
    extra = 0
    fields = ("reporter", "reason", "created_at", "resolved")
    readonly_fields = ("reporter", "reason", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("short_body", "author", "article", "status", "held_reason", "open_reports", "created_at")
    list_filter = ("status",)
    list_select_related = ("author", "article")
    search_fields = ("body", "author__username")
    # Readers' words are never rewritten in the admin: moderators hide, restore, approve or ban.
    fields = ("article", "author", "parent", "body", "status", "held_reason", "author_ip", "created_at", "edited_at")
    readonly_fields = fields
    inlines = (ReportInline,)
    actions = ("approve", "hide", "restore", "ban_author")

    def get_ordering(self, request):
        # Held comments, then comments with open reports, then the newest (an annotation: not `ordering`).
        return ("queue_rank", "-created_at")

    def get_queryset(self, request):
        # Not super(): it orders before annotating, and the ordering needs the annotation.
        return (
            Comment.objects.annotate(open_report_count=Count("reports", filter=Q(reports__resolved=False)))
            .annotate(
                queue_rank=Case(
                    When(status=Comment.Status.HELD, then=Value(0)),
                    When(open_report_count__gt=0, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            )
            .order_by(*self.get_ordering(request))
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description="Comment")
    def short_body(self, comment):
        return comment.body[:80] or "(deleted)"

    @admin.display(description="Open reports", ordering="open_report_count")
    def open_reports(self, comment):
        return comment.open_report_count

    def _apply(self, request, queryset, do, allowed_from, done: str):
        changed = 0
        for comment in queryset.select_related("author"):
            if comment.status in allowed_from:
                do(request.user, comment)
                changed += 1
        self.message_user(request, f"{done}: {changed} comment(s).", messages.SUCCESS)

    @admin.action(description="Approve selected held comments", permissions=["change"])
    def approve(self, request, queryset):
        self._apply(request, queryset, actions.do_approve, {Comment.Status.HELD}, "Approved")

    @admin.action(description="Hide selected comments", permissions=["change"])
    def hide(self, request, queryset):
        self._apply(request, queryset, actions.do_hide, {Comment.Status.VISIBLE, Comment.Status.HELD}, "Hidden")

    @admin.action(description="Restore selected hidden comments", permissions=["change"])
    def restore(self, request, queryset):
        self._apply(request, queryset, actions.do_restore, {Comment.Status.HIDDEN}, "Restored")

    @admin.action(description="Ban the authors of selected comments", permissions=["change"])
    def ban_author(self, request, queryset):
        banned = set()
        for comment in queryset.select_related("author"):
            if comment.author and not comment.author.is_banned and comment.author_id not in banned:
                actions.do_ban_user(request.user, comment.author, comment=comment)
                banned.add(comment.author_id)
        self.message_user(request, f"Banned {len(banned)} reader(s).", messages.SUCCESS)


@admin.register(CommentReport)
class CommentReportAdmin(admin.ModelAdmin):
    list_display = ("comment", "reporter", "reason", "created_at", "resolved")
    list_filter = ("resolved",)
    list_select_related = ("comment", "reporter")
    readonly_fields = ("comment", "reporter", "reason", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "target_user", "comment", "note")
    list_filter = ("action",)
    list_select_related = ("actor", "target_user", "comment")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
