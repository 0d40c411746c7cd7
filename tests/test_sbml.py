"""SBML export: a valid L3V2 document that another simulator (libRoadRunner) runs to hpgsim's own answer."""

import numpy as np
import pytest
from typer.testing import CliRunner

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

from hpgsim.cli import app  # noqa: E402
from hpgsim.export import to_sbml  # noqa: E402
from hpgsim.simulate import OBSERVABLES, simulate  # noqa: E402

COMPARED = ("total_testosterone", "lh", "fsh", "estradiol", "sperm_concentration")


def _run(xml: str, days: int, columns) -> dict:
    """The exported model in libRoadRunner at simulate's samples (08:00 daily), tight tolerances."""
    rr = roadrunner.RoadRunner(xml)
    rr.integrator.relative_tolerance = 1e-9
    rr.integrator.absolute_tolerance = 1e-12  # states as small as 1e-5 (germ cells of a man without GnRH)
    rr.integrator.initial_time_step = 1e-3  # h: CVODE's own first step after a dose event can be too small to meet 1e-9
    rr.timeCourseSelections = ["time", *columns]
    times = np.concatenate([[0.0], 8.0 + 24.0 * np.arange(days + 1)])
    res = rr.simulate(times=times)
    return {c: np.asarray(res[c])[1:] for c in ["time", *columns]}


def test_document_is_consistent_l3v2_with_every_canonical_observable():
    doc = libsbml.readSBMLFromString(to_sbml("eugonadal", "anastrozole 1 mg PO daily", days=180))
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    doc.checkConsistency()
    errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert errors == []
    m = doc.getModel()
    assert m.getTimeUnits() == "hour" and m.getNumCompartments() == 1
    units = {"ng/dL": "ng_per_dL", "pg/mL": "pg_per_mL", "IU/L": "IU_per_L", "nmol/L": "nmol_per_L",
             "M/mL": "M_per_mL", "M": "M", "1": "dimensionless"}
    for oid, unit in OBSERVABLES.items():
        p = m.getParameter(oid)
        assert p is not None and m.getAssignmentRule(oid) is not None, oid
        assert p.getUnits() == units[unit] and f'unit="{unit}"' in p.getAnnotationString(), oid
    # one event per dose time: 180 daily doses before the last 08:00 sample (day 180)
    assert m.getNumEvents() == 180
    ev = m.getEvent(0)
    assert not ev.getTrigger().getInitialValue() and ev.getTrigger().getPersistent() and not ev.isSetDelay()
    assert libsbml.formulaToL3String(ev.getTrigger().getMath()) == "time >= 8 hour"
    # no derived constant is left without a number
    assert all(p.isSetValue() for p in m.getListOfParameters() if p.getConstant())


@pytest.mark.parametrize("patient,regimen", [
    ("eugonadal", "anastrozole 1 mg PO daily"),
    ("congenital_hh", "hCG 2000 IU SC 3x/week"),
    # competitive antagonism, GnRH-receptor loss and the Leydig mass falling under castration
    ("ageing_male", ["degarelix 240 mg SC once", "degarelix 80 mg SC monthly starting day 28"]),
    # clomiphene's isomers and enclomiphene's 4-hydroxy metabolites, dosed every other day
    ("secondary_hypogonadism", "clomiphene 25 mg PO every other day"),
])
def test_roadrunner_reproduces_simulate_over_180_days(patient, regimen):
    days = 180
    ref = simulate(patient, regimen, days=days).to_frame()
    drug_col = [c for c in ref.columns if c.startswith("conc_")]
    got = _run(to_sbml(patient, regimen, days=days), days, [*COMPARED, *drug_col])
    np.testing.assert_allclose(got["time"], ref["day"].to_numpy() * 24.0)
    for name in COMPARED:
        b = ref[name].to_numpy()
        rel = np.abs(got[name] - b) / np.abs(b)
        assert rel.max() < 0.01, f"{name}: max relative difference {rel.max():.2e} on day {int(np.argmax(rel))}"
    # the drug itself (central compartment: continuous across doses, so the same before and after them)
    np.testing.assert_allclose(got[drug_col[0]], ref[drug_col[0]].to_numpy(), rtol=1e-3, atol=1e-6)


def test_doses_land_exactly_at_their_times():
    rr = roadrunner.RoadRunner(to_sbml("eugonadal", "anastrozole 1 mg PO daily", days=3))
    rr.timeCourseSelections = ["time", "anastrozole_gut"]
    res = rr.simulate(times=[0.0, 7.999, 8.0, 31.999, 32.0])
    gut = np.asarray(res["anastrozole_gut"])
    # an SBML simulator reports the state after the event at the dose time (simulate: before it)
    assert gut[0] == gut[1] == 0.0 and gut[2] == pytest.approx(1.0, abs=1e-9)
    assert gut[4] - gut[3] == pytest.approx(1.0, abs=1e-6)


def test_patient_with_history_starts_where_simulate_starts():
    days = 10
    ref = simulate("post_trt_suppressed", days=days, engine="scipy").to_frame()  # same start, adaptive engine
    got = _run(to_sbml("post_trt_suppressed", days=days), days, COMPARED)
    for name in COMPARED:
        np.testing.assert_allclose(got[name], ref[name].to_numpy(), rtol=1e-3, err_msg=name)


def test_dose_at_midnight_of_day_0_is_given_by_both():
    regimen = "testosterone enanthate 200 mg IM once at 00:00"
    ref = simulate("eugonadal", regimen, days=2).to_frame()
    got = _run(to_sbml("eugonadal", regimen, days=2), 2, ["total_testosterone"])
    np.testing.assert_allclose(got["total_testosterone"], ref["total_testosterone"].to_numpy(), rtol=1e-3)


def test_cli_writes_the_file_and_refuses_an_unknown_phenotype(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out.xml"
    res = runner.invoke(app, ["export-sbml", "--phenotype", "eugonadal", "--regimen", "anastrozole 1 mg PO daily",
                              str(out)])
    assert res.exit_code == 0, res.output
    assert libsbml.readSBMLFromString(out.read_text()).getModel().getParameter("total_testosterone") is not None
    res = runner.invoke(app, ["export-sbml", "--phenotype", "martian", str(tmp_path / "x.xml")])
    assert res.exit_code == 2 and "phenotype" in res.output and not (tmp_path / "x.xml").exists()
