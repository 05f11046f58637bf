from django.apps import AppConfig


class PilotsConfig(AppConfig):
    """Where: London's 33 local authorities, its NHS sub-regions and the five devolution pilots."""

    name = "pilots"
    verbose_name = "Boroughs and pilots"
