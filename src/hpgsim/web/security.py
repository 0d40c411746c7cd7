"""Who may talk to the web app.

- **No token configured** (the default, ``hpgsim serve`` on 127.0.0.1): only loopback clients
  (127.0.0.0/8, ::1) are served, and only under a loopback ``Host`` name (``localhost``,
  ``127.0.0.1``, ``[::1]``), which defeats DNS-rebinding pages; anything else gets 403.
- **A token configured** (``HPGSIM_TOKEN``, required to bind another address): every request,
  loopback or not, must carry it, as ``Authorization: Bearer <token>``, ``X-HPGSIM-Token:
  <token>``, the ``hpgsim_token`` cookie, or once as ``?token=<token>`` on a page URL (the app
  then sets the cookie and redirects to the same URL without the token).

In both cases a state-changing request (POST, PUT, PATCH, DELETE) whose ``Origin`` is another
site is refused, so a web page elsewhere cannot make the browser save or delete assessments.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from http.cookies import SimpleCookie
from typing import Any, Awaitable, Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["AccessGuard", "is_loopback", "TOKEN_COOKIE", "TOKEN_HEADER", "MIN_TOKEN_LENGTH"]

TOKEN_COOKIE = "hpgsim_token"
TOKEN_HEADER = "x-hpgsim-token"
MIN_TOKEN_LENGTH = 16
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a client address) is a loopback address."""
    if not host:
        return False
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


def _host_name(value: str) -> str:
    """The host part of a Host header or an origin's netloc (no port, no brackets, lower case)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class AccessGuard:
    """ASGI middleware enforcing the rules of this module around ``app``."""

    def __init__(self, app: ASGIApp, *, token: str | None = None,
                 allowed_hosts: Iterable[str] = LOOPBACK_HOSTS) -> None:
        self.app = app
        self.token = token or None
        self.allowed_hosts = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = scope.get("client")
        client_host = client[0] if client else None
        if self.token is None:
            if not is_loopback(client_host):
                await self._refuse(scope, send, 403, f"client {client_host or 'unknown'} is not on this machine; "
                                   "allowed: loopback clients only (to serve other machines, start with --host "
                                   "and a token in HPGSIM_TOKEN)")
                return
            host = _host_name(headers.get("host", ""))
            if host not in self.allowed_hosts:
                await self._refuse(scope, send, 403, f"Host '{headers.get('host', '')}' is not this machine; "
                                   f"allowed: {', '.join(sorted(self.allowed_hosts))}")
                return
        else:
            given = self._given_token(scope, headers)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                await self._refuse(scope, send, 401, "missing or wrong token; allowed: the server's HPGSIM_TOKEN as "
                                   "'Authorization: Bearer <token>', 'X-HPGSIM-Token: <token>', the hpgsim_token "
                                   "cookie or ?token=<token> on a page URL")
                return
            if self._token_in_query(scope) and scope["type"] == "http" and scope.get("method") == "GET":
                await self._set_cookie_and_redirect(scope, send)
                return
        if scope["type"] == "http" and scope.get("method", "GET").upper() in UNSAFE_METHODS:
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
                await self._refuse(scope, send, 403, f"Origin '{origin}' is another site; allowed: this app's own pages")
                return
            if origin == "null":
                await self._refuse(scope, send, 403, "Origin 'null'; allowed: this app's own pages")
                return
        await self.app(scope, receive, send)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _query(scope: Scope) -> list[tuple[str, str]]:
        return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)

    def _token_in_query(self, scope: Scope) -> bool:
        return any(k == "token" for k, _ in self._query(scope))

    def _given_token(self, scope: Scope, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        if TOKEN_HEADER in headers:
            return headers[TOKEN_HEADER].strip()
        if "cookie" in headers:
            cookie = SimpleCookie()
            try:
                cookie.load(headers["cookie"])
            except Exception:  # noqa: BLE001 - a malformed cookie header is no token
                cookie = SimpleCookie()
            if TOKEN_COOKIE in cookie:
                return cookie[TOKEN_COOKIE].value
        for k, v in self._query(scope):
            if k == "token":
                return v
        return None

    async def _set_cookie_and_redirect(self, scope: Scope, send) -> None:
        query = urlencode([(k, v) for k, v in self._query(scope) if k != "token"])
        location = scope.get("root_path", "") + scope.get("path", "/") + (f"?{query}" if query else "")
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict{secure}"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode("latin-1")),
                                (b"content-length", b"0"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _refuse(scope: Scope, send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"detail": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="hpgsim"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
