"""load_mou: every inventory commitment with its sources, idempotent, all-or-nothing on bad files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from boards.models import Board, Party
from commitments.loader import CLAUSES, INVENTORY, DataFileError, load_mou, parse_period
from commitments.models import Agreement, Change, Citation, Clause, Commitment, Obligation, Signatory, Theme
from pilots.models import Borough, Pilot

pytestmark = pytest.mark.django_db

SOURCE = yaml.safe_load(INVENTORY.read_text())


@pytest.fixture
def loaded(db):
    return load_mou()


def test_it_loads_every_commitment_of_the_inventory_with_its_sources(loaded):
    assert Commitment.objects.count() == len(SOURCE["commitments"]) == 83
    for entry in SOURCE["commitments"]:
        commitment = Commitment.objects.get(ref=entry["ref"])
        citations = list(commitment.citations.values_list("document", "quote"))
        assert citations == [(s["file"], s["quote"]) for s in entry["sources"]], entry["ref"]
    assert not Commitment.objects.filter(citations__isnull=True).exists()


def test_counts_per_theme_match_the_inventory(loaded):
    counts = Counter(Commitment.objects.values_list("theme__name", flat=True))
    assert counts == {
        "Capital and estates": 13,
        "Integration - commissioning and payments": 16,
        "Integration - regulation": 12,
        "Workforce and skills": 11,
        "Prevention": 16,
        "Governance and delivery": 15,
    }
    assert list(Theme.objects.values_list("name", flat=True)) == [t["name"] for t in SOURCE["themes"]]


def test_sub_items_sit_under_their_parents(loaded):
    assert Commitment.objects.filter(parent__isnull=True).count() == 68
    children = Commitment.objects.filter(parent__isnull=False).select_related("parent")
    assert children.count() == 15
    by_key = {c["key"]: c for c in SOURCE["commitments"]}
    for child in children:
        assert child.parent.key == by_key[child.key]["parent"]


def test_agreements_keep_their_kind_and_commitments(loaded):
    counts = Counter(Commitment.objects.values_list("agreement__slug", flat=True))
    assert counts == {"mou-2017": 65, "devolution-agreement-2015": 8, "lc-report-2017-12-05": 8, "work-and-health-programme-devolution": 2}
    kinds = dict(Agreement.objects.values_list("slug", "kind"))
    assert kinds == {
        "mou-2017": "mou",
        "devolution-agreement-2015": "devolution_agreement",
        "lc-report-2017-12-05": "undertakings",
        "work-and-health-programme-devolution": "related_deal",
    }
    mou = Agreement.objects.get(slug="mou-2017")
    assert str(mou.date) == "2017-11-16"
    assert set(Agreement.objects.filter(in_dashboards_by_default=True).values_list("slug", flat=True)) == {
        "mou-2017",
        "devolution-agreement-2015",
    }


def test_one_obligation_per_obligated_party(loaded):
    expected = sum(len(c["obligated_parties"]) for c in SOURCE["commitments"])
    assert Obligation.objects.count() == expected
    est01 = Commitment.objects.get(ref="A15-01")
    assert set(est01.obligations.values_list("party__slug", flat=True)) == {"london-partners", "national-partners"}


def test_uncertainty_stays_visible(loaded):
    basis = Counter(Commitment.objects.values_list("lead_board_basis", flat=True))
    assert basis == {"stated": 21, "inferred": 14, "not_stated": 48}
    assert Party.objects.get(slug="national-partners").collective
    assert Party.objects.get(slug="london-partners").collective
    assert not Party.objects.get(slug="nhs-england").collective
    assert Commitment.objects.filter(pilot_links__basis="inferred").exists()


def test_boards_and_the_reports_to_chain(loaded):
    spb = Board.objects.get(code="SPB")
    lhb = Board.objects.get(code="LHB")
    assert spb.reports_to == lhb and spb.reports_to_basis == "stated"
    assert spb.reporting_chain() == [lhb]
    assert lhb.chair.slug == "mayor-of-london"
    assert Board.objects.get(code="LEDU").supports.code == "LEB"
    assert set(Board.objects.filter(is_mou_board=True).values_list("code", flat=True)) == {"LHB", "SPB", "LEB", "LWB"}
    assert Board.objects.get(code="LC").kind == "committee"
    assert Board.objects.count() == len(SOURCE["boards"])


def test_the_33_local_authorities_are_parties(loaded):
    assert Borough.objects.count() == 33
    assert Party.objects.filter(type=Party.Type.LOCAL_AUTHORITY).count() == 33
    assert Borough.objects.get(slug="city-of-london").party.name == "City of London Corporation"
    assert Borough.objects.get(slug="camden").party.name == "London Borough of Camden"
    assert Borough.objects.get(slug="greenwich").party.name == "Royal Borough of Greenwich"


def test_the_five_pilots_with_their_boroughs(loaded):
    pilots = {p.slug: sorted(p.boroughs.values_list("slug", flat=True)) for p in Pilot.objects.all()}
    assert pilots == {
        "ncl-estates": ["barnet", "camden", "enfield", "haringey", "islington"],
        "haringey-prevention": ["haringey"],
        "hackney-integration": ["hackney"],
        "bhr-integration": ["barking-and-dagenham", "havering", "redbridge"],
        "lewisham-integration": ["lewisham"],
    }
    assert Borough.objects.get(slug="haringey").pilots.count() == 2
    assert Borough.objects.filter(pilots__isnull=True).count() == 23


def test_signatories_and_clauses_from_the_signed_mou(loaded):
    signatories = list(Signatory.objects.order_by("order").values_list("name", "party__slug"))
    assert len(signatories) == 8
    assert ("Rt Hon Elizabeth Truss MP", "hm-treasury") in signatories
    assert ("Dr Marc Rowland", "london-clinical-commissioning-council") in signatories
    assert Clause.objects.count() == 18
    assert Clause.objects.get(key="mou-c03").commitments.filter(key="com-specialised-commissioning").exists()
    assert Clause.objects.filter(commitments__isnull=True).count() >= 2  # principles and new items stay visible


def test_target_dates_use_the_end_of_the_period(loaded):
    est10 = Commitment.objects.get(ref="EST-10")
    assert (str(est10.target_date), est10.target_date_precision) == ("2018-12-31", "year")
    com08 = Commitment.objects.get(ref="COM-08")
    assert (str(com08.target_date), com08.target_date_precision) == ("2018-04-30", "month")


def test_a_second_run_changes_nothing(loaded):
    before = {m.__name__: m.objects.count() for m in (Commitment, Obligation, Citation, Party, Board, Change)}
    report = load_mou()
    assert not report.changed
    assert {m.__name__: m.objects.count() for m in (Commitment, Obligation, Citation, Party, Board, Change)} == before


def test_the_command_reports_no_change_on_a_second_run(db, capsys):
    call_command("load_mou")
    call_command("load_mou")
    assert "no change" in capsys.readouterr().out


def _broken_copy(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(INVENTORY.read_text())
    mutate(data)
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_a_malformed_file_names_the_entry_and_changes_nothing(loaded, tmp_path):
    def mutate(data):
        data["commitments"][3]["theme"] = "no-such-theme"
        data["commitments"][3]["title"] = "Changed title that must not be saved"
        data["commitments"][5]["obligated_parties"] = ["nobody"]

    path = _broken_copy(tmp_path, mutate)
    before_title = Commitment.objects.get(ref=SOURCE["commitments"][3]["ref"]).title
    with pytest.raises(DataFileError) as exc:
        load_mou(path, CLAUSES)
    key3, key5 = SOURCE["commitments"][3]["key"], SOURCE["commitments"][5]["key"]
    assert any(f"commitments[3] ({key3})" in p and "no-such-theme" in p for p in exc.value.problems)
    assert any(f"commitments[5] ({key5})" in p and "'nobody'" in p for p in exc.value.problems)
    assert Commitment.objects.get(ref=SOURCE["commitments"][3]["ref"]).title == before_title


def test_a_file_that_is_not_yaml_is_refused_by_the_command(db, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("commitments: [unclosed\n  - : :")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("load_mou", inventory=bad)
    assert Commitment.objects.count() == 0


def test_a_failure_midway_rolls_everything_back(db, tmp_path, monkeypatch):
    """All-or-nothing even when something fails after writing has started."""
    from commitments import loader

    def explode(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader._Loader, "_meetings", explode)
    with pytest.raises(RuntimeError):
        load_mou()
    assert Commitment.objects.count() == 0 and Party.objects.count() == 0


def test_a_duplicate_ref_is_refused(db, tmp_path):
    def mutate(data):
        data["commitments"][1]["ref"] = data["commitments"][0]["ref"]

    with pytest.raises(DataFileError, match="duplicate ref"):
        load_mou(_broken_copy(tmp_path, mutate), CLAUSES)


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2018", True, ("2018-12-31", "year")),
        ("2018-02", True, ("2018-02-28", "month")),
        ("2015-12", False, ("2015-12-01", "month")),
        (None, True, (None, "")),
    ],
)
def test_parse_period(text, end, expected):
    date, precision = parse_period(text, end=end)
    assert (str(date) if date else None, precision) == expected


def test_parse_period_rejects_nonsense():
    with pytest.raises(ValueError):
        parse_period("2018-13", end=True)
    with pytest.raises(ValueError):
        parse_period("soon", end=True)


def test_the_project_copy_matches_the_domain_files():
    """The data files are verbatim copies of the domain inventory (traceability)."""
    shared = Path(__file__).resolve().parents[3] / "shared" / "domain"
    if not shared.exists():
        pytest.skip("the shared domain folder is not beside this checkout")
    for name in ("mou-inventory.yaml", "mou-clauses.yaml"):
        assert (shared / name).read_bytes() == (INVENTORY.parent / name).read_bytes(), name
