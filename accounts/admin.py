from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from accounts.forms import AdminSignUpForm, AdminUserForm, ThrottledAdminAuthenticationForm
from accounts.models import ApiToken, User

# The admin's sign-in page obeys the same throttle as the readers' one.
admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class TidingsUserAdmin(UserAdmin):
    form = AdminUserForm
    add_form = AdminSignUpForm
    list_display = ("username", "email", "role", "is_staff", "is_banned", "keep_history", "date_joined", "last_login")
    list_filter = ("role", "is_staff", "is_banned", "keep_history", "is_active", "is_superuser")
    fieldsets = (*UserAdmin.fieldsets, ("Tidings", {"fields": ("role", "is_banned", "keep_history")}))
    add_fields = ("username", "email", "usable_password", "password1", "password2")
    add_fieldsets = ((None, {"classes": ("wide",), "fields": add_fields}),)
    actions = ["make_moderator"]

    @admin.action(description="Make moderator")
    def make_moderator(self, request, queryset):
        count = queryset.exclude(role=User.Role.MODERATOR).update(role=User.Role.MODERATOR)
        self.message_user(request, f"{count} reader(s) are now moderators.", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators can see and revoke tokens; the token itself is never stored, so never shown."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = ("user", "name", "token_hash", "prefix", "created_at", "last_used_at")
    search_fields = ("name", "user__username")

    def has_add_permission(self, request):
        return False
