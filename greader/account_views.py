"""The reader's app passwords page: make one for each feed-reader app, see when each was last used, revoke it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import clock

from . import actions
from .models import AppPassword


@never_cache
@login_required
def app_passwords(request):
    new_secret, error, name = "", "", ""
    status = 200
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            name = actions.check_create_app_password(request.user, name)
        except actions.AppPasswordError as exc:
            error, status = str(exc), 400
        else:
            _, new_secret = actions.do_create_app_password(request.user, name, now=clock.now())
            name = ""
    context = {
        "app_passwords": AppPassword.objects.filter(user=request.user),
        "new_secret": new_secret,
        "error": error,
        "name": name,
        "server_url": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "greader/app_passwords.html", context, status=status)


@login_required
@require_POST
def revoke(request, app_password_id: int):
    if actions.do_revoke_app_password(request.user, app_password_id):
        messages.success(request, "The app password was revoked. Apps using it are signed out.")
    else:
        messages.error(request, "That app password was already revoked.")
    return redirect("app-passwords")
