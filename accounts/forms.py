"""Forms for readers' accounts. Django's auth forms do the work; these add our rules and plainer words."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    UserChangeForm,
    UserCreationForm,
    UsernameField,
)
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from accounts import throttle
from accounts.models import User

USERNAME_MAX = 150  # the column's length (accounts.User.username)
USERNAME_HELP = "Up to 150 letters, digits and the characters @ . + - _ (no spaces)."
USERNAME_ERRORS = {
    "required": "Choose a username.",
    "max_length": "Usernames can be at most 150 characters long.",
}
# Long passphrases are welcome; a megabyte is not (hashing and the similarity check would take seconds).
PASSWORD_MAX = 1000
BAD_USERNAME = "Usernames can only contain letters, digits and the characters @ . + - _ (no spaces)."


class SignUpForm(UserCreationForm):
    username = UsernameField(
        max_length=USERNAME_MAX,
        help_text=USERNAME_HELP,
        error_messages=USERNAME_ERRORS,
        validators=[UnicodeUsernameValidator(message=BAD_USERNAME)],
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(
        max_length=254,
        help_text="Only used to reset your password. Never shown to other readers.",
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like you@example.org.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    error_messages = {
        **UserCreationForm.error_messages,
        "password_mismatch": "The two passwords don't match. Type the same password twice.",
    }

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("password1", "password2"):
            self.fields[name].validators.append(
                MaxLengthValidator(PASSWORD_MAX, message="Passwords can be at most 1000 characters long.")
            )

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That username is taken. Try another one.", code="unique")
        return username

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                "An account with this email address already exists. "
                "Sign in, or reset your password if you have forgotten it.",
                code="unique",
            )
        return email


class ThrottledSignInMixin:
    """Refuse to check the password at all while the username or the address is throttled.

    Failures are counted by accounts.signals from Django's ``user_login_failed`` signal; a refused attempt
    sends no signal, so waiting out the window is enough to try again.
    """

    def clean(self):
        username = self.cleaned_data.get("username")
        if throttle.is_blocked(username, throttle.client_address(self.request)):
            raise ValidationError(throttle.TOO_MANY_MESSAGE, code="throttled")
        return super().clean()


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password don't match. Check them and try again.",
        "inactive": "This account has been closed.",
    }


class ThrottledAdminAuthenticationForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to confirm."},
    )
    comments = forms.TypedChoiceField(
        label="Your comments",
        choices=[
            ("keep", "Keep them, shown as written by “deleted user”"),
            ("remove", "Remove their text (replies from other readers stay in place)"),
        ],
        coerce=lambda choice: choice == "keep",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens to your comments.", "invalid_choice": "Choose one option."},
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That isn't your password. Your account has not been deleted.", code="wrong")
        return password


class ReadingHistoryForm(forms.Form):
    keep_history = forms.TypedChoiceField(choices=[("1", "Keep"), ("0", "Don't keep")], coerce=lambda v: v == "1")


class AdminUserForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class AdminSignUpForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")
