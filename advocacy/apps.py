from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = "Advocacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: they use models, which exist only once every
        # app is loaded (Django calls ready() then). Not to dodge an import cycle.
        from . import heartbeat

        heartbeat.connect()

        from . import receivers

        receivers.connect()  # a deactivated person's shares and connections stop at once

        from . import links

        links.connect()  # a changed destination is followed at once by every /r/ (advocacy/links.py)

        from .services import privacy

        privacy.register()  # connections and shares in My data and account deletion

        from content.services.revisions import register_posted_link_counter
        from core.audit import track

        from .models import ProgrammeSettings
        from .selectors import posted_link_count

        track(ProgrammeSettings, exclude=["updated_at"])
        # Changing an item's link moves every posted tracked link: content asks how many.
        register_posted_link_counter(posted_link_count)
