"""Named protocols: presets written in the regimen language, and their command line."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest
from typer.testing import CliRunner

import hpgsim.protocols
from hpgsim.cli import app
from hpgsim.drugs.catalog import lookup_drug
from hpgsim.errors import InputError
from hpgsim.patient import PHENOTYPES
from hpgsim.protocols import PROTOCOLS, Protocol, protocol, protocol_names
from hpgsim.regimen import Prescription, Regimen

runner = CliRunner()
DAY = 24.0

REQUIRED = (
    "anastrozole_monotherapy", "clomiphene_monotherapy", "clomiphene_eod", "enclomiphene_monotherapy",
    "hcg_monotherapy_hh", "hcg_fsh_hh", "pulsatile_gonadorelin_hh", "post_trt_restart", "post_trt_restart_with_ai",
)


def one_line_error(res, field: str) -> str:
    """The single non-empty output line of a refused command, which names ``field``."""
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    assert field in lines[0] and "Traceback" not in res.output
    return lines[0]


# ---------------------------------------------------------------------------------------------
# the presets
# ---------------------------------------------------------------------------------------------


def test_the_required_presets_exist():
    assert set(REQUIRED) <= set(PROTOCOLS)
    assert protocol_names() == list(PROTOCOLS)


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_every_preset_parses_and_prints_back_as_written(name):
    p = protocol(name)
    regimen = p.regimen()
    assert isinstance(regimen, Regimen) and len(regimen.prescriptions) == len(p.prescriptions)
    for line in p.prescriptions:
        assert str(Prescription.parse(line)) == line  # written in canonical text
    assert str(regimen) == "; ".join(p.prescriptions)


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_every_preset_round_trips_through_its_text(name):
    regimen = protocol(name).regimen()
    again = Regimen.parse(str(regimen))
    assert again == regimen
    assert str(Regimen.parse(str(again))) == str(regimen)


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_every_preset_is_documented_for_known_phenotypes_within_labelled_doses(name):
    p = protocol(name)
    assert p.name == name and p.title and p.description and p.source and p.references
    assert p.indication and all(ph in PHENOTYPES for ph in p.indication)
    assert p.variant_of is None or p.variant_of in PROTOCOLS
    for prescription in p.regimen().prescriptions:
        info = lookup_drug(prescription.drug)
        assert all(info.dose_min <= step.amount <= info.dose_max for step in prescription.steps)


def test_the_mapping_of_presets_is_read_only():
    with pytest.raises(TypeError):
        PROTOCOLS["mine"] = PROTOCOLS["hcg_monotherapy_hh"]  # type: ignore[index]


def test_an_unknown_protocol_is_refused_naming_the_field_and_the_allowed_names():
    with pytest.raises(InputError) as caught:
        protocol("hcg_forever")
    message = str(caught.value)
    assert caught.value.field == "protocol" and "\n" not in message
    assert message.startswith("protocol: unknown protocol 'hcg_forever'; allowed: ")
    assert all(name in message for name in PROTOCOLS)


def test_a_protocol_with_a_bad_line_or_phenotype_is_refused_at_construction():
    good = dict(name="mine", title="t", indication=("eugonadal",), prescriptions=("anastrozole 1 mg PO daily",),
                description="d", source="s")
    assert Protocol(**good).regimen() == Regimen.parse("anastrozole 1 mg PO daily")
    with pytest.raises(InputError) as caught:
        Protocol(**{**good, "prescriptions": ("anastrozole 100 mg PO daily",)})
    assert caught.value.field == "dose"
    with pytest.raises(InputError) as caught:
        Protocol(**{**good, "indication": ("martian",)})
    assert caught.value.field == "indication"


def test_post_trt_restart_combines_gonadorelin_and_two_serms_and_the_variant_adds_anastrozole():
    base, with_ai = protocol("post_trt_restart").regimen(), protocol("post_trt_restart_with_ai").regimen()
    assert set(base.drugs) == {"gonadorelin", "tamoxifen", "clomiphene"}
    assert set(with_ai.drugs) == set(base.drugs) | {"anastrozole"}
    assert with_ai.prescriptions[: len(base.prescriptions)] == base.prescriptions


def test_hcg_fsh_starts_with_hcg_and_adds_fsh_later():
    events = protocol("hcg_fsh_hh").regimen().events(until_h=200 * DAY)
    first = {drug: min(e.time_h for e in events if e.drug == drug) for drug in ("hcg", "fsh")}
    assert first["hcg"] < DAY and first["fsh"] >= 84 * DAY
    assert protocol("hcg_fsh_hh").prescriptions[0] == protocol("hcg_monotherapy_hh").prescriptions[0]


def test_the_gonadorelin_pump_pulses_every_90_minutes():
    events = protocol("pulsatile_gonadorelin_hh").regimen().events(until_h=8.0 + DAY)  # 16 pulses a day
    times = [e.time_h for e in events]
    assert len(times) == 16 and {round(b - a, 9) for a, b in zip(times, times[1:])} == {1.5}


def test_module_examples_run():
    assert doctest.testmod(hpgsim.protocols).failed == 0


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------


def test_protocols_lists_every_preset_with_its_prescriptions():
    res = runner.invoke(app, ["protocols"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for p in PROTOCOLS.values():
        assert p.name in res.output and p.prescriptions[0] in res.output
    assert "source doc 001" in res.output and "research and education" in res.output


def test_protocols_name_shows_the_description_and_references():
    res = runner.invoke(app, ["protocols", "post_trt_restart_with_ai"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "anastrozole 0.5 mg PO twice weekly for 12 weeks" in res.output and "AUA/ASRM" in res.output


@pytest.mark.parametrize("args", [
    ["protocols", "hcg_forever"],
    ["simulate", "--days", "5", "--protocol", "hcg_forever"],
])
def test_an_unknown_protocol_exits_2_with_one_line_naming_protocol(args):
    line = one_line_error(runner.invoke(app, args), "protocol")
    assert "hcg_forever" in line and "hcg_monotherapy_hh" in line


def test_simulate_with_a_protocol_writes_its_drug_concentration(tmp_path):
    out = tmp_path / "x.csv"
    res = runner.invoke(app, ["simulate", "--protocol", "hcg_monotherapy_hh", "--phenotype", "congenital_hh",
                              "--days", "42", "--out", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert "conc_hcg" in frame.columns and len(frame) == 43
    assert frame.conc_hcg.iloc[-1] > 0 and frame.conc_hcg.iloc[0] == 0


def test_simulate_takes_the_union_of_a_protocol_and_regimen_lines(tmp_path):
    out = tmp_path / "x.csv"
    res = runner.invoke(app, ["simulate", "--protocol", "anastrozole_monotherapy", "--regimen",
                              "clomiphene citrate 25 mg PO daily", "--phenotype", "obese_hyperestrogenic",
                              "--days", "28", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert {"conc_anastrozole", "conc_clomiphene"} <= set(pd.read_csv(out).columns)


def test_simulate_refuses_a_protocol_together_with_a_dosing_table(tmp_path):
    table = tmp_path / "doses.csv"
    nonmem_table().to_csv(table, index=False)
    one_line_error(runner.invoke(app, ["simulate", "--days", "5", "--protocol", "hcg_monotherapy_hh",
                                       "--dosing", str(table)]), "dosing")


# ---------------------------------------------------------------------------------------------
# NONMEM-layout dosing tables from the command line
# ---------------------------------------------------------------------------------------------


def nonmem_table() -> pd.DataFrame:
    """Anastrozole 1 mg PO daily for 4 weeks and hCG 1500 IU SC Mon/Thu, as NONMEM rows (hours)."""
    anastrozole = lookup_drug("anastrozole").route("PO").cmt
    hcg = lookup_drug("hCG").route("SC").cmt
    rows = [
        # ID, TIME, AMT, CMT, EVID, II, ADDL
        (1, 0.0, 0.0, anastrozole, 0, 0.0, 0),  # an observation row: ignored
        (1, 8.0, 1.0, anastrozole, 1, 24.0, 27),
        (1, 8.0, 1500.0, hcg, 1, 168.0, 3),
        (1, 80.0, 1500.0, hcg, 1, 168.0, 3),
    ]
    return pd.DataFrame(rows, columns=["ID", "TIME", "AMT", "CMT", "EVID", "II", "ADDL"])


def test_simulate_reads_a_nonmem_dosing_table(tmp_path):
    table, out = tmp_path / "doses.csv", tmp_path / "x.csv"
    nonmem_table().to_csv(table, index=False)
    res = runner.invoke(app, ["simulate", "--phenotype", "obese_hyperestrogenic", "--days", "28", "--dosing",
                              str(table), "--out", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert {"conc_anastrozole", "conc_hcg"} <= set(frame.columns)
    assert frame.conc_anastrozole.iloc[-1] > 0 and frame.conc_hcg.iloc[-1] > 0


def _negative_amt(t):
    t.loc[1, "AMT"] = -1.0


def _unknown_cmt(t):
    t.loc[1, "CMT"] = 99


def _addl_without_ii(t):
    t.loc[1, "II"] = 0.0


def _unsorted_time(t):
    t.loc[3, "TIME"] = 4.0


def _dose_outside_label(t):
    t.loc[1, "AMT"] = 500.0


@pytest.mark.parametrize("spoil,field", [
    (_negative_amt, "AMT"),
    (_unknown_cmt, "CMT"),
    (_addl_without_ii, "ADDL"),
    (_unsorted_time, "TIME"),
    (_dose_outside_label, "AMT"),
])
def test_a_malformed_dosing_table_exits_2_with_one_line_and_writes_nothing(tmp_path, spoil, field):
    table, out = tmp_path / "doses.csv", tmp_path / "x.csv"
    frame = nonmem_table()
    spoil(frame)
    frame.to_csv(table, index=False)
    res = runner.invoke(app, ["simulate", "--days", "28", "--dosing", str(table), "--out", str(out)])
    assert one_line_error(res, field).startswith(f"error: {field}: ")
    assert not out.exists()


def test_a_dosing_table_without_its_cmt_column_names_the_column(tmp_path):
    table = tmp_path / "doses.csv"
    nonmem_table().drop(columns="CMT").to_csv(table, index=False)
    one_line_error(runner.invoke(app, ["simulate", "--days", "28", "--dosing", str(table)]), "CMT")


@pytest.mark.parametrize("content", [b"", b'ID,TIME,AMT\n1,"8\n', b"\xff\xfe\x00binary"])
def test_a_dosing_file_that_is_not_a_csv_table_exits_2_naming_dosing(tmp_path, content):
    table = tmp_path / "doses.csv"
    table.write_bytes(content)
    one_line_error(runner.invoke(app, ["simulate", "--days", "28", "--dosing", str(table)]), "dosing")


def test_a_missing_dosing_file_exits_2_naming_dosing(tmp_path):
    one_line_error(runner.invoke(app, ["simulate", "--days", "5", "--dosing", str(tmp_path / "none.csv")]), "dosing")
