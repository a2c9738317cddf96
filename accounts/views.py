"""Account pages. Sign-out and most password pages are Django's own views, configured in urls.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordResetView, RedirectURLMixin
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from accounts import actions, throttle
from accounts.forms import DeleteAccountForm, ReadingHistoryForm, SignInForm, SignUpForm
from accounts.models import ApiToken


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset request page, which sends no e-mail once the address typed or the client asked too often.

    Only a valid form counts (a mistyped address sends nothing and costs nothing). The refusal is the form page
    again with a plain message and status 429, the same for every address typed, account or not.
    """

    def form_valid(self, form):
        if not throttle.allow_reset(form.cleaned_data["email"], throttle.client_address(self.request)):
            form.add_error(None, throttle.TOO_MANY_RESETS_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@method_decorator([sensitive_post_parameters("password1", "password2"), csrf_protect, never_cache], name="dispatch")
class SignUpView(RedirectURLMixin, FormView):
    template_name = "accounts/signup.html"
    form_class = SignUpForm
    next_page = settings.LOGIN_REDIRECT_URL

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("account")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.save()
        login(self.request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(self.request, f"Welcome to Tidings, {user.username}. You are signed in.")
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context[self.redirect_field_name] = self.get_redirect_url()
        return context


def _account_page(request, **extra):
    context = {
        "history_form": ReadingHistoryForm(),
        "api_tokens": ApiToken.objects.filter(user=request.user),
        **extra,
    }
    return render(request, "accounts/account.html", context, status=400 if extra.get("api_token_error") else 200)


@login_required
def account(request):
    return _account_page(request)


@login_required
@require_POST
@never_cache
def api_token_create(request):
    """Make a token for an app and show it on this one answer only (it is stored hashed, never shown again)."""
    try:
        row, token = actions.check_create_api_token(request.user, request.POST.get("name", ""))
    except actions.ApiTokenError as exc:
        return _account_page(request, api_token_error=str(exc))
    return _account_page(request, new_api_token=token, new_api_token_row=row)


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    if actions.do_revoke_api_token(request.user, token_id):
        messages.success(request, "The token is revoked: apps using it are signed out.")
    return redirect("account")


@login_required
@require_POST
def reading_history(request):
    form = ReadingHistoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Something went wrong with that button. Please try again.")
        return redirect("account")
    keep = form.cleaned_data["keep_history"]
    actions.do_set_keep_history(request.user, keep=keep)
    if keep:
        messages.success(request, "Tidings will remember which articles you open.")
    else:
        messages.success(request, "Tidings will no longer remember which articles you open.")
    return redirect("account")


@method_decorator([login_required, sensitive_post_parameters("password"), never_cache], name="dispatch")
class DeleteAccountView(FormView):
    template_name = "accounts/delete_account.html"
    form_class = DeleteAccountForm
    success_url = reverse_lazy(settings.LOGOUT_REDIRECT_URL)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        actions.do_delete_account(self.request.user, keep_comments=form.cleaned_data["comments"])
        logout(self.request)
        messages.success(self.request, "Your account has been deleted. Thank you for reading Tidings.")
        return super().form_valid(form)
