"""Factories for minimal valid objects (factory-boy)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from boards.models import Board, Meeting, Membership, Party
from commitments.models import Action, Agreement, Commitment, Obligation, Theme
from pilots.models import Borough, Pilot, SubRegion


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"party-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    type = Party.Type.NHS_NATIONAL


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Board
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n}")
    slug = factory.LazyAttribute(lambda o: o.code.lower())
    name = factory.LazyAttribute(lambda o: f"Board {o.code}")
    kind = Board.Kind.BOARD


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OFFICER
    party = factory.SubFactory(PartyFactory)
    board = None


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    board = factory.SubFactory(BoardFactory)
    date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=30))
    title = "Health and care devolution: progress"
    item_number = "8"


class SubRegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubRegion
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"sub-region-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class BoroughFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borough
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"borough-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    party = factory.SubFactory(PartyFactory, slug=factory.SelfAttribute("..slug"), type=Party.Type.LOCAL_AUTHORITY)


class PilotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pilot
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"pilot-{n}")
    name = factory.LazyAttribute(lambda o: f"Pilot {o.slug}")
    focus = Pilot.Focus.INTEGRATION


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        django_get_or_create = ("slug",)

    slug = "mou-2017"
    name = "London Health and Care Devolution Memorandum of Understanding"
    short_name = "2017 MoU"
    kind = Agreement.Kind.MOU
    date = dt.date(2017, 11, 16)
    in_dashboards_by_default = True


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.LazyAttribute(lambda o: f"Theme {o.slug}")
    ref_prefix = factory.Sequence(lambda n: f"T{n:02d}")
    order = factory.Sequence(lambda n: n)


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment
        django_get_or_create = ("ref",)

    ref = factory.Sequence(lambda n: f"TST-{n:03d}")
    key = factory.LazyAttribute(lambda o: o.ref.lower())
    title = factory.LazyAttribute(lambda o: f"Commitment {o.ref}")
    summary = "A commitment made for a test."
    agreement = factory.SubFactory(AgreementFactory)
    theme = factory.SubFactory(ThemeFactory)
    kind = Commitment.Kind.COMMITMENT


class ObligationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obligation

    commitment = factory.SubFactory(CommitmentFactory)
    party = factory.SubFactory(PartyFactory)
    due_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=60))


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    obligation = factory.SubFactory(ObligationFactory)
    description = factory.Sequence(lambda n: f"Deliver milestone {n}")
    due_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=30))
    original_due_date = factory.SelfAttribute("due_date")
