from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MDFConfig(AppConfig):
    name = "mdf"
    verbose_name = _("Market development funds")
