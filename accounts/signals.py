"""Feed the sign-in throttle from Django's auth signals, so every sign-in form (ours and the admin's) counts."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts import throttle


@receiver(user_login_failed, dispatch_uid="accounts.count_failed_signin")
def count_failed_signin(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    throttle.record_failure(username if isinstance(username, str) else None, throttle.client_address(request))


@receiver(user_logged_in, dispatch_uid="accounts.forgive_failed_signins")
def forgive_failed_signins(sender, request, user, **kwargs):
    throttle.reset_username(user.get_username())
