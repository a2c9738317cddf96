from django.contrib import admin

from .models import Feed, FetchAttempt, Publisher


class FeedInline(admin.TabularInline):
    model = Feed
    fields = ["url", "title", "is_active", "health", "next_check_at", "last_error"]
    readonly_fields = ["health", "next_check_at", "last_error"]
    extra = 0


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "language", "licence", "display_policy"]
    list_filter = ["display_policy", "country"]
    search_fields = ["name", "site_url"]
    exclude = ["template_counts"]
    inlines = [FeedInline]


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["url", "publisher", "health", "error_count", "last_checked_at", "next_check_at", "is_active"]
    list_filter = ["health", "is_active"]
    search_fields = ["url", "title", "publisher__name"]
    list_select_related = ["publisher"]


@admin.register(FetchAttempt)
class FetchAttemptAdmin(admin.ModelAdmin):
    list_display = ["started_at", "kind", "url", "outcome", "status_code", "entries_new", "duration_ms"]
    list_filter = ["kind", "outcome"]
    search_fields = ["url", "message"]
