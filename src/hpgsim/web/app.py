"""The local web app: Assess, Explore, Trials and saved assessments, plus a JSON API.

``create_app(db_path=None, token=None)`` builds the FastAPI application; ``hpgsim serve`` runs it
with uvicorn on 127.0.0.1 (see :mod:`hpgsim.web.security` for who may connect).  Pages are
server-rendered Jinja2 templates; plots are drawn in the browser by plotly.js, which the app
serves itself (``/vendor/plotly.min.js``, from the installed plotly package): nothing is fetched
from the internet, and no patient data leaves the machine.

Work that takes more than a second (an assessment from a page, a virtual trial) runs as a
background job that pages poll (``GET /api/jobs/{id}``); ``POST /api/assess`` and
``POST /api/simulate`` answer synchronously.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hpgsim import DISCLAIMER, __version__
from hpgsim.errors import InputError
from hpgsim.web import api, assessing
from hpgsim.web.engine import engine_slot
from hpgsim.web.errors import http_error_response, input_error_response, validation_error_response
from hpgsim.web.jobs import Job, JobRunner
from hpgsim.web.security import AccessGuard
from hpgsim.web.store import Store

__all__ = ["create_app", "find_trials_dir"]

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

E404 = {404: {"model": api.ErrorOut, "description": "not found"}}
E422 = {422: {"model": api.ErrorOut, "description": "invalid input: one line naming the field and what is allowed"}}


def find_trials_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The validation library's trial specs: ``explicit``, ``$HPGSIM_TRIALS_DIR``, the repository's
    ``validation/trials`` (a source checkout) or ``./validation/trials``; None if none exists."""
    candidates = [explicit, os.environ.get("HPGSIM_TRIALS_DIR"),
                  Path(__file__).resolve().parents[3] / "validation" / "trials", Path.cwd() / "validation" / "trials"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None


def _plotly_js() -> Path | None:
    try:
        import plotly
    except ImportError:  # pragma: no cover - a dependency
        return None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


class SaveRequest(BaseModel):
    """Save an assessment: the result of a finished assessment job, or a patient document to assess now."""

    model_config = ConfigDict(extra="forbid")
    job_id: Optional[str] = Field(None, max_length=64, description="a finished assessment job (POST /api/jobs/assess)")
    patient: Optional[dict[str, Any]] = Field(None, description="a patient document (PATIENT_FORMAT), assessed now")
    label: Optional[str] = Field(None, max_length=200, description="a label for the list (default: the patient's id)")


class TrialRequest(BaseModel):
    """Run one trial spec of the validation library on a small virtual cohort."""

    model_config = ConfigDict(extra="forbid")
    trial: str = Field(min_length=1, max_length=80, description="a trial id (GET /api/trials)")
    n_men: int = Field(40, ge=5, le=400, description="virtual men per arm")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class JobOut(BaseModel):
    id: str
    kind: str
    state: str
    progress: Optional[float] = None
    message: str
    elapsed_s: float
    error: Optional[str] = None
    field: Optional[str] = None
    result_url: Optional[str] = None


class Saved(BaseModel):
    id: str
    url: str


def create_app(db_path: str | os.PathLike[str] | None = None, token: str | None = None, *,
               trials_dir: str | os.PathLike[str] | None = None, warm: bool = True,
               allowed_hosts: tuple[str, ...] | None = None) -> FastAPI:
    """The web app.  ``db_path``: the saved-assessment database (default :func:`store.default_db_path`);
    ``token``: require it on every request (and serve non-loopback clients); ``warm``: compile the
    numerical engine in a background thread at start-up."""
    store = Store(db_path)
    jobs = JobRunner(workers=1)
    warm_state: dict[str, Any] = {"state": "cold" if warm else "skipped", "seconds": None, "error": None}

    def warm_up() -> None:
        t0 = time.perf_counter()
        warm_state["state"] = "warming"
        try:
            from hpgsim.patient import phenotype
            from hpgsim.simulate import simulate, simulate_cohort

            with engine_slot():
                simulate("eugonadal", ["anastrozole 1 mg PO daily"], days=3)
                simulate_cohort([phenotype("eugonadal")] * 2, ["anastrozole 1 mg PO daily"], days=3)
            warm_state["state"] = "ready"
        except Exception as e:  # noqa: BLE001 - shown on the status endpoint, the app still serves
            warm_state["state"], warm_state["error"] = "failed", f"{type(e).__name__}: {e}"
        warm_state["seconds"] = round(time.perf_counter() - t0, 2)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if warm:
            threading.Thread(target=warm_up, name="hpgsim-warm-up", daemon=True).start()
        yield
        jobs.shutdown()

    app = FastAPI(title="hpgsim", version=__version__, lifespan=lifespan,
                  description="Local web app and JSON API of hpgsim. " + DISCLAIMER)
    app.state.store = store
    app.state.jobs = jobs
    app.state.warm = warm_state
    app.state.trials_dir = find_trials_dir(trials_dir)
    app.state.token_required = bool(token)

    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals.update(disclaimer=DISCLAIMER, version=__version__)
    templates.env.filters["num"] = _num
    templates.env.filters["jsonscript"] = _json_script

    app.add_exception_handler(RequestValidationError, validation_error_response)
    app.add_exception_handler(InputError, input_error_response)
    app.add_exception_handler(StarletteHTTPException, http_error_response)
    app.add_middleware(AccessGuard, token=token, allowed_hosts=allowed_hosts or ("localhost", "127.0.0.1", "::1"))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"active": name.split(".")[0], **context},
                                          status_code=status_code)

    def render_report(patient: dict, result: dict) -> str:
        """The self-contained HTML report of an assessment (plotly.js inline: it opens offline), from its JSON;
        used where hpgsim.report.html is not installed or the saved assessment has no report of its own."""
        from datetime import datetime, timezone

        from hpgsim.web import views

        path = _plotly_js()
        if path is not None:
            js = path.read_text(encoding="utf-8")
        else:  # pragma: no cover - plotly without its package data
            from plotly.offline import get_plotlyjs

            js = get_plotlyjs()
        return templates.get_template("report.html").render(
            view=views.assessment_view(patient, result), css=(STATIC / "app.css").read_text(encoding="utf-8"),
            plotly_js=js, written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

    # ------------------------------------------------------------------ static assets

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        path = _plotly_js()
        headers = {"Cache-Control": "public, max-age=86400"}
        if path is not None:
            return FileResponse(path, media_type="application/javascript", headers=headers)
        from plotly.offline import get_plotlyjs

        return Response(get_plotlyjs(), media_type="application/javascript", headers=headers)

    # ------------------------------------------------------------------ pages

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return page(request, "home.html", trials=app.state.trials_dir is not None,
                    assess_available=assessing.available())

    @app.get("/assess", include_in_schema=False)
    def assess_page(request: Request) -> HTMLResponse:
        from hpgsim.web import forms

        return page(request, "assess.html", form=forms.form_spec(), assess_available=assessing.available())

    @app.get("/assess/result/{job_id}", include_in_schema=False)
    def assess_result_page(request: Request, job_id: str) -> HTMLResponse:
        job = jobs.get(job_id)
        if job is None or job.kind != "assess":
            return page(request, "message.html", 404, title="Assessment not found",
                        message="This result is no longer in memory (results of the last 64 jobs are kept until the "
                                "server stops); run the assessment again, or open it from Saved if it was saved.")
        if job.state != "done":
            return page(request, "message.html", 409 if job.state != "failed" else 422, title="Assessment not ready",
                        message=job.error or f"The assessment is {job.state}.")
        return _result_page(request, job.result["patient"], job.result["assessment"], job_id=job_id, saved=None)

    @app.get("/saved", include_in_schema=False)
    def saved_page(request: Request) -> HTMLResponse:
        return page(request, "saved.html", items=store.list(), db_path=str(store.path))

    @app.get("/saved/{assessment_id}", include_in_schema=False)
    def saved_result_page(request: Request, assessment_id: str) -> HTMLResponse:
        saved = store.get(assessment_id)
        if saved is None:
            return page(request, "message.html", 404, title="Not found",
                        message=f"No saved assessment '{assessment_id}'.")
        return _result_page(request, saved.patient, saved.result, job_id=None, saved=saved)

    def _result_page(request: Request, patient: dict, result: dict, *, job_id: str | None, saved) -> HTMLResponse:
        from hpgsim.web import views

        return page(request, "result.html", view=views.assessment_view(patient, result), job_id=job_id,
                    saved=saved.summary() if saved is not None else None, has_report=True)

    @app.get("/explore", include_in_schema=False)
    def explore_page(request: Request) -> HTMLResponse:
        from hpgsim import parameters
        from hpgsim.clinic.ranges import REFERENCE_RANGES

        sliders = [{"name": k, "unit": parameters.get(k).unit, "low": parameters.get(k).lower,
                    "high": parameters.get(k).upper, "value": parameters.get(k).value,
                    "description": parameters.get(k).description}
                   for k in api.EXPLORE_PARAMETERS]
        return page(request, "explore.html", phenotypes=api.phenotype_list(), drugs=api.drug_list(),
                    frequencies=api.FREQUENCIES, sliders=sliders, max_days=api.MAX_DAYS,
                    ranges={k: [lo, hi] for k, (lo, hi, _) in REFERENCE_RANGES.items()})

    @app.get("/trials", include_in_schema=False)
    def trials_page(request: Request) -> HTMLResponse:
        from hpgsim.web import trials as trials_mod

        folder = app.state.trials_dir
        specs, problems = trials_mod.list_specs(folder) if folder is not None else ([], [])
        return page(request, "trials.html", specs=specs, problems=problems, folder=str(folder) if folder else None)

    # ------------------------------------------------------------------ API: reference data

    @app.get("/api/status", tags=["meta"])
    def status() -> dict[str, Any]:
        """Version, whether the numerical engine is compiled yet, and what is available."""
        return {"version": __version__, "engine": dict(warm_state), "assess_available": assessing.available(),
                "trials_available": app.state.trials_dir is not None, "token_required": app.state.token_required,
                "disclaimer": DISCLAIMER}

    @app.get("/api/phenotypes", tags=["reference"])
    def phenotypes() -> list[dict[str, Any]]:
        """The named virtual patients (``hpgsim phenotypes``)."""
        return api.phenotype_list()

    @app.get("/api/drugs", tags=["reference"])
    def drugs() -> list[dict[str, Any]]:
        """Agents, routes, dose units and allowed dose ranges (``hpgsim drugs``)."""
        return api.drug_list()

    @app.get("/api/examples", tags=["reference"])
    def examples() -> list[str]:
        """Names of the built-in example patient files."""
        from hpgsim.labs import example_names

        return example_names()

    @app.get("/api/examples/{name}", tags=["reference"], responses={**E404})
    def example(name: str) -> dict[str, Any]:
        """A built-in example patient document (PATIENT_FORMAT), as JSON."""
        from hpgsim.labs import example_names, example_patient

        if name not in example_names():
            return _not_found("example", f"unknown example patient '{name}'; allowed: {', '.join(example_names())}")
        return example_patient(name).model_dump(mode="json", exclude_none=True, exclude_defaults=True)

    @app.get("/api/labs", tags=["reference"])
    def labs() -> dict[str, Any]:
        """Every lab and semen measure: canonical unit, accepted units, plausible range, reference range."""
        from hpgsim.web import forms

        return forms.lab_catalog()

    # ------------------------------------------------------------------ API: work

    @app.post("/api/simulate", tags=["simulate"], response_model=api.SimulateResponse, responses={**E422})
    def simulate_(req: api.SimulateRequest) -> api.SimulateResponse:
        """Simulate a phenotype under a regimen (averaged mode, daily 08:00 values in clinical units)."""
        with engine_slot():
            return api.run_simulation(req)

    @app.post("/api/assess", tags=["assess"], responses={**E422},
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/PatientFile"}}}}})
    def assess(document: dict[str, Any] = Body(...)) -> dict[str, Any]:
        """Assess one man: the same patient document as ``hpgsim assess``, the same JSON back."""
        with engine_slot():
            _, a = assessing.assess_document(document)
        return assessing.to_json(a)

    @app.post("/api/jobs/assess", tags=["jobs"], response_model=JobOut, status_code=202, responses={**E422},
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/PatientFile"}}}}})
    def assess_job(document: dict[str, Any] = Body(...)) -> dict[str, Any]:
        """Start an assessment in the background (the Assess page); poll ``GET /api/jobs/{id}``."""
        from hpgsim.labs import parse_patient

        parse_patient(document)  # bad input answers 422 now, not in the job

        def work(job: Job) -> dict[str, Any]:
            def progress(fraction: float, message: str = "") -> None:
                job.progress, job.message = float(fraction), message or job.message

            job.message = "simulating the candidate protocols"
            with engine_slot():
                _, a = assessing.assess_document(document, progress=progress)
            job.message = "writing the report"
            return {"patient": document, "assessment": assessing.to_json(a), "object": a}

        job = jobs.submit("assess", work)
        job.extra["result_url"] = f"/assess/result/{job.id}"
        return job.status()

    @app.get("/api/trials", tags=["trials"])
    def trials() -> list[dict[str, Any]]:
        """The trial specs of the validation library (empty where it is not installed)."""
        from hpgsim.web import trials as trials_mod

        folder = app.state.trials_dir
        return trials_mod.list_specs(folder)[0] if folder is not None else []

    @app.post("/api/jobs/trial", tags=["jobs"], response_model=JobOut, status_code=202, responses={**E422})
    def trial_job(req: TrialRequest) -> dict[str, Any]:
        """Run one trial spec on a virtual cohort in the background; poll ``GET /api/jobs/{id}``."""
        from hpgsim.web import trials as trials_mod

        spec = trials_mod.load(app.state.trials_dir, req.trial)

        def work(job: Job) -> dict[str, Any]:
            n_arms = len(spec.arms)
            done = [0]
            job.progress, job.message = 0.0, f"simulating {req.n_men} men, arm 1 of {n_arms}"

            def arm_done(_trial: str, arm: str) -> None:
                done[0] += 1
                job.progress = done[0] / n_arms
                job.message = f"{arm} done ({done[0]} of {n_arms} arms)"

            with engine_slot():
                return trials_mod.run(spec, n_men=req.n_men, seed=req.seed, progress=arm_done)

        return jobs.submit("trial", work).status()

    @app.get("/api/jobs/{job_id}", tags=["jobs"], response_model=JobOut, responses={**E404})
    def job_status(job_id: str) -> Any:
        """State and progress of a background job."""
        job = jobs.get(job_id)
        if job is None:
            return _not_found("job_id", f"no job '{job_id}' (jobs are kept in memory until the server stops)")
        return job.status()

    @app.get("/api/jobs/{job_id}/result", tags=["jobs"], responses={**E404, 409: {"model": api.ErrorOut}})
    def job_result(job_id: str) -> Any:
        """The result of a finished job: an assessment's JSON, or a trial's predicted vs published."""
        job = jobs.get(job_id)
        if job is None:
            return _not_found("job_id", f"no job '{job_id}' (jobs are kept in memory until the server stops)")
        if job.state != "done":
            return JSONResponse({"detail": f"job_id: the job is {job.state}" + (f" ({job.error})" if job.error else ""),
                                 "field": "job_id"}, status_code=409)
        return job.result["assessment"] if job.kind == "assess" else job.result

    @app.get("/api/jobs/{job_id}/report.html", include_in_schema=False)
    def job_report(job_id: str) -> Response:
        job = jobs.get(job_id)
        if job is None or job.kind != "assess" or job.state != "done":
            return _not_found("job_id", f"no report for job '{job_id}'")
        html = assessing.report_html(job.result["object"]) or render_report(job.result["patient"],
                                                                           job.result["assessment"])
        return _download(html, f"hpgsim-assessment-{_slug(job.result['patient'])}.html", "text/html")

    @app.get("/api/jobs/{job_id}/assessment.json", include_in_schema=False)
    def job_json(job_id: str) -> Response:
        job = jobs.get(job_id)
        if job is None or job.kind != "assess" or job.state != "done":
            return _not_found("job_id", f"no assessment for job '{job_id}'")
        return _download(json.dumps(job.result["assessment"], indent=1),
                         f"hpgsim-assessment-{_slug(job.result['patient'])}.json", "application/json")

    # ------------------------------------------------------------------ API: saved assessments

    @app.get("/api/assessments", tags=["saved"])
    def list_saved() -> list[dict[str, Any]]:
        """The saved assessments, newest first (id, date, label, phenotype)."""
        return store.list()

    @app.post("/api/assessments", tags=["saved"], response_model=Saved, status_code=201,
              responses={**E404, **E422})
    def save(req: SaveRequest) -> Any:
        """Save an assessment (a finished job's result, or a patient document assessed now) in one transaction."""
        if (req.job_id is None) == (req.patient is None):
            raise InputError("job_id", "give either job_id or patient; allowed: exactly one of them")
        if req.job_id is not None:
            job = jobs.get(req.job_id)
            if job is None or job.kind != "assess":
                return _not_found("job_id", f"no assessment job '{req.job_id}'")
            if job.state != "done":
                raise InputError("job_id", f"the job is {job.state}; allowed: a finished assessment job")
            patient, result, report = job.result["patient"], job.result["assessment"], \
                assessing.report_html(job.result["object"])
        else:
            with engine_slot():
                _, a = assessing.assess_document(req.patient)
            patient, result, report = req.patient, assessing.to_json(a), assessing.report_html(a)
        report = assessing.compact_report(report) if report else None  # plotly.js is put back on download
        new_id = store.save(patient, result, label=req.label, report_html=report)
        return {"id": new_id, "url": f"/saved/{new_id}"}

    @app.get("/api/assessments/{assessment_id}", tags=["saved"], responses={**E404})
    def get_saved(assessment_id: str) -> Any:
        """One saved assessment as its export document (patient and assessment JSON)."""
        saved = store.get(assessment_id)
        if saved is None:
            return _not_found("assessment_id", f"no saved assessment '{assessment_id}'")
        return saved.export()

    @app.delete("/api/assessments/{assessment_id}", tags=["saved"], status_code=204, responses={**E404})
    def delete_saved(assessment_id: str) -> Response:
        """Delete one saved assessment."""
        if not store.delete(assessment_id):
            return _not_found("assessment_id", f"no saved assessment '{assessment_id}'")
        return Response(status_code=204)

    @app.get("/api/assessments/{assessment_id}/export.json", tags=["saved"], responses={**E404})
    def export_saved(assessment_id: str) -> Response:
        """Download one saved assessment (export document)."""
        saved = store.get(assessment_id)
        if saved is None:
            return _not_found("assessment_id", f"no saved assessment '{assessment_id}'")
        return _download(json.dumps(saved.export(), indent=1), f"hpgsim-{_slug(saved.patient)}-{saved.id[:8]}.json",
                         "application/json")

    @app.get("/api/assessments/{assessment_id}/report.html", tags=["saved"], responses={**E404})
    def saved_report(assessment_id: str) -> Response:
        """Download the self-contained HTML report of a saved assessment."""
        saved = store.get(assessment_id)
        if saved is None:
            return _not_found("assessment_id", f"no saved assessment '{assessment_id}'")
        stored = store.report(assessment_id)
        html = assessing.expand_report(stored) if stored else render_report(dict(saved.patient), dict(saved.result))
        return _download(html, f"hpgsim-{_slug(saved.patient)}-{assessment_id[:8]}.html", "text/html")

    @app.get("/api/export.json", tags=["saved"])
    def export_all() -> Response:
        """Download every saved assessment (a list of export documents)."""
        return _download(json.dumps(store.export_all(), indent=1), "hpgsim-assessments.json", "application/json")

    # ------------------------------------------------------------------ OpenAPI: the patient document's schema

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            patient = assessing.patient_schema()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(patient.pop("$defs", {}))
            components["PatientFile"] = patient
            try:  # a worked example of the patient document (the docs page shows it; schema tests replay it)
                from hpgsim.labs import example_patient

                example = example_patient("obese_hyperestrogenic").model_dump(mode="json", exclude_none=True,
                                                                              exclude_defaults=True)
                for path in ("/api/assess", "/api/jobs/assess"):
                    body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
                    body["example"] = example
            except (InputError, KeyError):  # pragma: no cover - examples not shipped
                pass
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


# ---------------------------------------------------------------------- helpers


def _num(value: Any, digits: int = 3) -> str:
    """A number for a table: 3 significant digits, no exponent for ordinary values; '-' for None."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value != value:  # NaN
        return "-"
    if value == 0:
        return "0"
    a = abs(value)
    if a >= 10 ** digits:
        return f"{value:,.0f}"
    if a >= 1e-3:
        return f"{value:.{digits}g}"
    return f"{value:.2e}"


def _json_script(value: Any) -> Any:
    """``value`` as JSON safe inside ``<script type="application/json">`` (no NaN, no ``</script>``)."""
    from markupsafe import Markup

    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(c, esc)
    return Markup(text)


def _not_found(field: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": f"{field}: {message}", "field": field}, status_code=404)


def _slug(patient: Any) -> str:
    text = str(patient.get("id") or "patient") if isinstance(patient, dict) else "patient"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:40] or "patient"


def _download(text: str, filename: str, media_type: str) -> Response:
    return Response(text, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
