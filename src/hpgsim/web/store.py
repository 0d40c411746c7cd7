"""Saved assessments: a local SQLite database in WAL mode, one transaction per save.

Each row keeps the patient document as entered, the assessment JSON as computed and (compressed)
the self-contained HTML report, so a saved assessment reopens exactly as it was shown, whatever
the model's numbers are today.  The database is opened with ``journal_mode=WAL`` and
``synchronous=FULL``: a save is one ``INSERT`` inside one transaction, so a server killed in the
middle of a save leaves either the whole row or no row, never half of one.

The file holds patient data: it is created readable by its owner only (mode 0600, folder 0700).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

from hpgsim import __version__
from hpgsim.errors import InputError

__all__ = ["Store", "SavedAssessment", "default_db_path", "EXPORT_FORMAT"]

EXPORT_FORMAT = "hpgsim-assessment/1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assessments (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    label       TEXT NOT NULL,
    phenotype   TEXT NOT NULL,
    version     TEXT NOT NULL,
    patient     TEXT NOT NULL,
    result      TEXT NOT NULL,
    report      BLOB
);
CREATE INDEX IF NOT EXISTS assessments_created ON assessments (created_at);
"""


def default_db_path() -> Path:
    """``$HPGSIM_DB`` if set, else ``$XDG_DATA_HOME/hpgsim/assessments.sqlite3`` (``~/.local/share`` by default)."""
    env = os.environ.get("HPGSIM_DB")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "hpgsim" / "assessments.sqlite3"


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedAssessment:
    """One saved assessment: when, a label, the phenotype, the patient document and the assessment JSON."""

    id: str
    created_at: str
    label: str
    phenotype: str
    version: str
    patient: Mapping[str, Any]
    result: Mapping[str, Any]
    has_report: bool = False

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at, "label": self.label, "phenotype": self.phenotype,
                "version": self.version}

    def export(self) -> dict[str, Any]:
        """The export document: everything needed to read the assessment elsewhere."""
        return {"format": EXPORT_FORMAT, **self.summary(), "patient": dict(self.patient),
                "assessment": dict(self.result)}


class Store:
    """The saved-assessment database at ``path`` (created on first use)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            with self._connect() as conn:
                conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise InputError("db", f"cannot open the database '{self.path}' ({e}); allowed: a writable file path") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in WAL mode with full sync; closed on exit (commit/rollback is the caller's)."""
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def journal_mode(self) -> str:
        with self._connect() as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    # ------------------------------------------------------------------ writing

    @staticmethod
    def row(patient: Mapping[str, Any], result: Mapping[str, Any], *, label: str | None = None,
            report_html: str | None = None) -> tuple:
        """The row to insert (everything serialised before the transaction begins)."""
        phenotype = result.get("phenotype")
        if isinstance(phenotype, Mapping):
            phenotype = phenotype.get("name") or phenotype.get("phenotype")
        phenotype = str(phenotype or "")
        label = (label or patient.get("id") or phenotype or "assessment").strip()[:200] or "assessment"
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        report = zlib.compress(report_html.encode("utf-8"), 6) if report_html else None
        return (uuid.uuid4().hex, created, label, phenotype, __version__,
                json.dumps(patient, allow_nan=False), json.dumps(result, allow_nan=False), report)

    @staticmethod
    def insert(conn: sqlite3.Connection, row: tuple) -> None:
        conn.execute("INSERT INTO assessments (id, created_at, label, phenotype, version, patient, result, report) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)

    def save(self, patient: Mapping[str, Any], result: Mapping[str, Any], *, label: str | None = None,
             report_html: str | None = None) -> str:
        """Save one assessment in one transaction; returns its id."""
        row = self.row(patient, result, label=label, report_html=report_html)
        with self.transaction() as conn:
            self.insert(conn, row)
        return row[0]

    def delete(self, assessment_id: str) -> bool:
        """Delete one assessment; False if there was none with that id."""
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM assessments WHERE id = ?", (assessment_id,))
            return cur.rowcount > 0

    # ------------------------------------------------------------------ reading

    def list(self, limit: int = 500) -> list[dict[str, Any]]:
        """Summaries of the saved assessments, newest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT id, created_at, label, phenotype, version FROM assessments "
                                "ORDER BY created_at DESC, rowid DESC LIMIT ?", (int(limit),)).fetchall()
        return [dict(zip(("id", "created_at", "label", "phenotype", "version"), r)) for r in rows]

    def get(self, assessment_id: str) -> SavedAssessment | None:
        with self._connect() as conn:
            r = conn.execute("SELECT id, created_at, label, phenotype, version, patient, result, report IS NOT NULL "
                             "FROM assessments WHERE id = ?", (assessment_id,)).fetchone()
        if r is None:
            return None
        return SavedAssessment(id=r[0], created_at=r[1], label=r[2], phenotype=r[3], version=r[4],
                               patient=json.loads(r[5]), result=json.loads(r[6]), has_report=bool(r[7]))

    def report(self, assessment_id: str) -> str | None:
        """The saved HTML report, or None."""
        with self._connect() as conn:
            r = conn.execute("SELECT report FROM assessments WHERE id = ?", (assessment_id,)).fetchone()
        if r is None or r[0] is None:
            return None
        return zlib.decompress(r[0]).decode("utf-8")

    def export_all(self) -> list[dict[str, Any]]:
        """Every saved assessment as its export document, newest first."""
        out = []
        for s in self.list(limit=1_000_000):
            saved = self.get(s["id"])
            if saved is not None:
                out.append(saved.export())
        return out

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM assessments").fetchone()[0])

    def integrity(self) -> str:
        with self._connect() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
