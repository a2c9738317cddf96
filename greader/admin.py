from django.contrib import admin

from .models import AppPassword


@admin.register(AppPassword)
class AppPasswordAdmin(admin.ModelAdmin):
    """Operators see who uses feed-reader apps and can revoke an app password (delete); never its secret."""

    list_display = ["name", "user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "name", "digest", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # made by readers on their account page, where the secret is shown once
