"""``hpgsim serve``: the local web app on 127.0.0.1 (another address only with a token).

Only typer is imported at module level, so ``hpgsim --help`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

__all__ = ["serve", "check_bind"]

TOKEN_ENV = "HPGSIM_TOKEN"


def check_bind(host: str, token: Optional[str]) -> Optional[str]:
    """Why the server must not start with this host and token (None: it may)."""
    from hpgsim.web.security import MIN_TOKEN_LENGTH, is_loopback

    loopback = host.strip().lower() == "localhost" or is_loopback(host.strip("[]"))
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        return (f"{TOKEN_ENV}: {len(token)} characters is too short; allowed: at least {MIN_TOKEN_LENGTH} characters "
                "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(24))')")
    if not loopback and not token:
        return (f"--host: binding to {host} needs a token that every request must carry; allowed: set {TOKEN_ENV} "
                f"(at least {MIN_TOKEN_LENGTH} characters), or keep the default 127.0.0.1")
    return None


def serve(
    port: int = typer.Option(8765, min=1, max=65535, help="TCP port"),
    host: str = typer.Option("127.0.0.1", help=f"address to bind; anything but loopback needs {TOKEN_ENV}"),
    db: Optional[Path] = typer.Option(None, help="SQLite file of saved assessments (default: $HPGSIM_DB or "
                                                 "~/.local/share/hpgsim/assessments.sqlite3)"),
    trials: Optional[Path] = typer.Option(None, help="folder of trial specs for the Trials page (default: "
                                                     "$HPGSIM_TRIALS_DIR or validation/trials)"),
) -> None:
    """Serve the local web app (Assess, Explore, Trials; JSON API at /docs). Patient data stays on this machine."""
    from hpgsim import DISCLAIMER

    token = os.environ.get(TOKEN_ENV) or None
    problem = check_bind(host, token)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=2)
    if trials is not None and not trials.is_dir():
        typer.echo(f"error: --trials: '{trials}' is not a folder; allowed: a folder of trial spec YAML files", err=True)
        raise typer.Exit(code=2)
    import uvicorn

    from hpgsim.errors import InputError
    from hpgsim.web.app import create_app

    try:
        app = create_app(db_path=db, token=token, trials_dir=trials)
    except InputError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(code=2)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"hpgsim web app on http://{shown}:{port}/  (database {app.state.store.path}; Ctrl+C stops it)")
    if token:
        typer.echo(f"every request must carry the token from {TOKEN_ENV}: open http://{shown}:{port}/?token=<token> "
                   "once in the browser, or send 'Authorization: Bearer <token>'")
    typer.echo(DISCLAIMER)
    uvicorn.run(app, host=host, port=port, log_level="warning")
