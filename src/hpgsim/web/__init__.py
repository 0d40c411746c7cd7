"""The local web app (``hpgsim serve``): Assess, Explore, Trials, saved assessments and a JSON API.

Nothing is imported here eagerly, so that ``hpgsim --help`` does not load the web stack; use
``from hpgsim.web.app import create_app``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from hpgsim.web.app import create_app

        return create_app
    raise AttributeError(name)
