"""Account URLs, included at the site root. Password pages keep Django's names, which its views redirect to."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

PASSWORD_RESET_EMAIL = {
    "template_name": "accounts/password_reset_form.html",
    "email_template_name": "accounts/password_reset_email.txt",
    "subject_template_name": "accounts/password_reset_subject.txt",
}

urlpatterns = [
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),  # POST only: Django answers GET with 405
    path("account/", views.account, name="account"),
    path("account/reading-history/", views.reading_history, name="reading_history"),
    path("account/api-tokens/", views.api_token_create, name="api_token_create"),
    path("account/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("account/delete/", views.DeleteAccountView.as_view(), name="delete_account"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password_change_form.html"),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("password-reset/", views.ThrottledPasswordResetView.as_view(**PASSWORD_RESET_EMAIL), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="accounts/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
