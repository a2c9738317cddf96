from django.contrib import admin

from .models import FetchAttempt


@admin.register(FetchAttempt)
class FetchAttemptAdmin(admin.ModelAdmin):
    list_display = ["started_at", "kind", "url", "outcome", "status_code", "entries_new", "duration_ms"]
    list_filter = ["kind", "outcome"]
    search_fields = ["url", "message"]
