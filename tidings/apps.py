from django.apps import AppConfig


class TidingsConfig(AppConfig):
    name = "tidings"
    verbose_name = "Tidings"
