from django.contrib import admin

from .models import Article, ArticleSource


class ArticleSourceInline(admin.TabularInline):
    model = ArticleSource
    fields = ["feed", "entry_url", "first_seen_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "published_at", "status", "extraction_method"]
    list_filter = ["status", "extraction_method"]
    search_fields = ["title", "url"]
    list_select_related = ["publisher"]
    raw_id_fields = ["duplicate_of"]
    inlines = [ArticleSourceInline]
