from django.apps import AppConfig


class GreaderConfig(AppConfig):
    name = "greader"
    verbose_name = "Google Reader API"
