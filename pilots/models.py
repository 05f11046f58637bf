"""Where: London's local authorities, its NHS sub-regions and the five devolution pilots."""

from __future__ import annotations

from django.db import models

from boards.models import Party


class SubRegion(models.Model):
    """One of London's five NHS sub-regions (STP footprints, 2016-2018). General knowledge, not
    from the seed documents, except the name 'North Central London'."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Borough(models.Model):
    """One of the 33 London local authorities (32 boroughs and the City of London).

    Each is also a :class:`~boards.models.Party` (type local authority) so it can owe obligations
    and have officers.
    """

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=100, unique=True)
    party = models.OneToOneField(Party, on_delete=models.PROTECT, related_name="borough")
    sub_region = models.ForeignKey(SubRegion, null=True, blank=True, on_delete=models.SET_NULL, related_name="boroughs")
    named_in_sources = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Pilot(models.Model):
    """A devolution pilot (2016-2017) whose learning the MoU builds on, or a proposed one."""

    class Focus(models.TextChoices):
        ESTATES = "estates", "Estates"
        PREVENTION = "prevention", "Prevention"
        INTEGRATION = "integration", "Integration"
        WORK_AND_HEALTH = "work_and_health", "Work and health"

    class Status(models.TextChoices):
        PILOT = "pilot", "Devolution pilot"
        PROPOSED = "proposed", "Proposed"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    focus = models.CharField(max_length=20, choices=Focus.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PILOT)
    description = models.TextField(blank=True)
    boroughs = models.ManyToManyField(Borough, related_name="pilots", blank=True)
    sub_region = models.ForeignKey(SubRegion, null=True, blank=True, on_delete=models.SET_NULL, related_name="pilots")
    notes = models.TextField(blank=True)
    sources = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "name"]

    def __str__(self) -> str:
        return self.name
