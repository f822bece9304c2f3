from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from partners.middleware import language_at_sign_in

        # A person's language is settled once, when they sign in (the pages then read it
        # from the session).
        user_logged_in.connect(language_at_sign_in, dispatch_uid="partners.language_at_sign_in")
