"""The web app's bridge to the assessment workflow (:mod:`hpgsim.clinic.assess`) and its HTML report.

``POST /api/assess`` answers exactly what ``hpgsim assess --json`` writes: the patient document is
validated with :func:`hpgsim.labs.parse_patient`, assessed with the CLI's defaults and returned
as :meth:`Assessment.to_json`.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any, Callable, Mapping

from hpgsim.errors import InputError

__all__ = ["available", "assess_document", "to_json", "report_html", "compact_report", "expand_report",
           "patient_schema"]


def available() -> bool:
    """Whether the assessment workflow is installed."""
    try:
        import hpgsim.clinic.assess  # noqa: F401
    except ImportError:
        return False
    return True


def _finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by None (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy scalars and arrays
        return _finite(obj.tolist())
    return obj


def assess_document(document: Mapping[str, Any], *, progress: Callable[[float, str], None] | None = None):
    """Validate a patient document and assess it: ``(PatientFile, Assessment)``; InputError on bad input."""
    from hpgsim.labs import parse_patient

    pf = parse_patient(document)
    try:
        from hpgsim.clinic.assess import assess
    except ImportError:
        raise InputError("assess", "the assessment workflow (hpgsim.clinic.assess) is not installed") from None
    kwargs: dict[str, Any] = {}
    params = inspect.signature(assess).parameters
    if progress is not None and "on_progress" in params:  # a callback, where the workflow offers one
        kwargs["on_progress"] = progress
    return pf, assess(pf, **kwargs)


def to_json(assessment: Any) -> dict[str, Any]:
    """The assessment's JSON document, NaN-free, as plain JSON types."""
    return json.loads(json.dumps(_finite(assessment.to_json()), allow_nan=False, default=str))


def report_html(assessment: Any) -> str | None:
    """The self-contained HTML report, or None where the report module is missing."""
    try:
        from hpgsim.report.html import assessment_html
    except ImportError:
        return None
    return assessment_html(assessment)


PLOTLY_MARK = "/*hpgsim:plotly.js*/"


def _plotly_source() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def compact_report(html: str) -> str:
    """The report without its inline copy of plotly.js (about 4.8 MB), for storage; see :func:`expand_report`."""
    js = _plotly_source()
    return html.replace(js, PLOTLY_MARK, 1) if js in html else html


def expand_report(html: str) -> str:
    """A stored report with the installed plotly.js put back inline (self-contained again)."""
    return html.replace(PLOTLY_MARK, _plotly_source(), 1) if PLOTLY_MARK in html else html


def patient_schema() -> dict[str, Any]:
    """JSON schema of the patient document (for the OpenAPI description of ``POST /api/assess``)."""
    from hpgsim.labs import PatientFile

    return PatientFile.model_json_schema(ref_template="#/components/schemas/{model}")
