from django.apps import AppConfig


class MDFConfig(AppConfig):
    name = "mdf"
