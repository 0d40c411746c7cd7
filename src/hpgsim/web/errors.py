"""HTTP 422 for bad input: one line naming the field and what is allowed.

Both pydantic's request validation errors and the model layer's
:class:`~hpgsim.errors.InputError` answer ``{"detail": "<field>: <message>", "field": "<field>"}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hpgsim.errors import InputError

__all__ = ["validation_error_response", "input_error_response", "http_error_response", "describe"]

_LINE_BREAKS = str.maketrans({c: " " for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _path(loc: tuple) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p.startswith("function-") or p in ("<one>", "<many>"):
            continue
        else:
            out = f"{out}.{p}" if out else str(p)
    return out or (loc[0] if loc else "body")


_ALLOWED = {
    "missing": "missing; this field is required",
    "float_parsing": "allowed: a number", "float_type": "allowed: a number",
    "int_parsing": "allowed: a whole number", "int_type": "allowed: a whole number",
    "int_from_float": "allowed: a whole number", "finite_number": "allowed: a finite number",
    "string_type": "allowed: text", "bool_type": "allowed: true or false", "bool_parsing": "allowed: true or false",
    "list_type": "allowed: a list", "tuple_type": "allowed: a list", "dict_type": "allowed: a JSON object",
    "model_type": "allowed: a JSON object", "model_attributes_type": "allowed: a JSON object",
    "json_invalid": "not valid JSON", "time_parsing": "allowed: 'HH:MM'", "date_parsing": "allowed: YYYY-MM-DD",
    "date_from_datetime_parsing": "allowed: YYYY-MM-DD",
}

_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


def describe(err: dict[str, Any]) -> tuple[str, str]:
    """``(field, message)`` of one pydantic error dict."""
    loc = tuple(err.get("loc", ()))
    field = _path(loc)
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    given = err.get("input")
    got = f"got {_short(given)}; " if kind != "missing" and "input" in err else ""
    cause = ctx.get("error")
    if isinstance(cause, InputError):
        sub = cause.field
        return (f"{field}.{sub}" if field and sub and field != "body" else sub or field,
                str(cause)[len(cause.field) + 2:])
    if kind == "json_invalid":
        where = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return "body", f"not valid JSON{where} ({ctx.get('error', 'parse error')}); allowed: a JSON document"
    if kind == "missing":
        return field, _ALLOWED["missing"]
    if kind == "extra_forbidden":
        return field, "unknown field; allowed: the fields the API schema lists (GET /openapi.json)"
    if kind in ("literal_error", "enum"):
        return field, f"{got}allowed: {ctx.get('expected', '')}"
    if kind in _BOUNDS:
        bound = next(iter(v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le")), "")
        return field, f"{got}allowed: {_BOUNDS[kind]} {bound}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        limit = ctx.get("min_length", ctx.get("max_length"))
        what = "items" if kind in ("too_short", "too_long") else "characters"
        return field, f"{got}allowed: {'at least' if 'short' in kind else 'at most'} {limit} {what}"
    if kind == "value_error" and cause is not None:
        return field, str(cause)
    if kind in _ALLOWED:
        return field, f"{got}{_ALLOWED[kind]}"
    return field, f"{got}{err.get('msg', 'invalid')}"


def _answer(field: str, message: str) -> JSONResponse:
    field = str(field).translate(_LINE_BREAKS)
    message = str(message).translate(_LINE_BREAKS)
    return JSONResponse({"detail": f"{field}: {message}", "field": field}, status_code=422)


async def validation_error_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if not errors:
        return _answer("body", "invalid request")
    return _answer(*describe(errors[0]))


async def http_error_response(request: Request, exc: Any) -> JSONResponse:
    """Starlette's HTTP errors as JSON; a body that cannot be read at all is bad input (422), like any other."""
    if exc.status_code == 400:
        return _answer("body", f"{exc.detail}; allowed: a JSON document (UTF-8) as the API schema describes")
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def input_error_response(request: Request, exc: InputError) -> JSONResponse:
    return _answer(exc.field, str(exc)[len(exc.field) + 2:])
