"""The resumable result store: each finished chunk a Parquet file, written atomically.

Layout of a store folder (``--resume DIR``)::

    DIR/
      sweep-3f2a9c0d1e4b7a55/          one folder per job: its name and fingerprint
        _job.json                      what the job is (its spec), its chunk count
        chunk-00000.parquet            one file per finished chunk
        chunk-00001.parquet
        ...

A chunk file is a one-row Parquet table with one list column per result array; the
schema metadata holds the job's fingerprint, the chunk index, each array's shape and
dtype, and a SHA-256 of the arrays' bytes. Files are written to a temporary name in the
same folder and renamed into place (``os.replace``), so a file either is complete or is
not there; a client killed mid-write leaves only a ``.tmp`` file, which is ignored and
cleaned up. On resume every chunk file is checked before it is used: a file that cannot
be read or whose checksum does not match (corrupt) or that belongs to another job or
chunk (foreign) is reported in one line and recomputed — never merged.

The fingerprint is a SHA-256 of the job's spec (scenario with every value, seeds,
points, metrics, months, chunk size) and the package version, so a changed experiment
gets a new folder and can never pick up another experiment's chunks.

A store is a folder of its own: a folder that holds anything but job folders (the user's
files, a command's results) is refused (``StoreFolderError``), never written into.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

META_KEY = b"alliance_sim.chunk"
JOB_FILE = "_job.json"
#: A job folder's name: the job's name and the first 16 hex digits of its fingerprint.
_JOB_DIR = re.compile(r".+-[0-9a-f]{16}")


class StoreFolderError(ValueError):
    """The store folder holds files that are not a store's; one line for users."""


def fingerprint(spec: dict[str, Any]) -> str:
    """SHA-256 (hex) of a JSON-able job spec and the package version."""
    from .. import __version__

    text = json.dumps({"spec": spec, "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def array_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the arrays' names, dtypes, shapes and bytes (in name order)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def to_parquet_table(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> pa.Table:
    """A one-row table: each array flattened into a list column; shapes in the metadata."""
    columns, shapes = {}, {}
    for name, value in arrays.items():
        a = np.ascontiguousarray(value)
        flat = pa.array(a.reshape(-1))
        offsets = pa.array([0, len(flat)], type=pa.int64())
        columns[name] = pa.LargeListArray.from_arrays(offsets, flat)
        shapes[name] = {"shape": list(a.shape), "dtype": a.dtype.str}
    info = {**meta, "arrays": shapes, "sha256": array_digest(arrays)}
    table = pa.table(columns)
    return table.replace_schema_metadata({META_KEY: json.dumps(info).encode()})


def from_parquet_table(table: pa.Table) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and metadata of a chunk table (``ValueError`` when it is not one)."""
    raw = (table.schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise ValueError("no alliance-sim chunk metadata")
    info = json.loads(raw)
    arrays = {}
    for name, layout in info["arrays"].items():
        column = table.column(name).combine_chunks()
        flat = column.values.to_numpy(zero_copy_only=False)
        arrays[name] = np.asarray(flat, dtype=np.dtype(layout["dtype"])).reshape(layout["shape"])
    if array_digest(arrays) != info.get("sha256"):
        raise ValueError("checksum mismatch")
    return arrays, info


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file in its folder, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: What a job folder holds: its record, chunk files and temporary files of unfinished writes.
_JOB_FILES = re.compile(rf"{re.escape(JOB_FILE)}|chunk-\d{{5,}}\.parquet|\..+\.tmp")


def _is_job_dir(path: Path) -> bool:
    """Whether ``path`` is a job folder a store wrote: named ``NAME-FINGERPRINT16`` and
    holding nothing but a store's files."""
    return (path.is_dir() and _JOB_DIR.fullmatch(path.name) is not None
            and all(_JOB_FILES.fullmatch(p.name) for p in path.iterdir()))


def report_stderr(message: str) -> None:
    """Default reporter: one line on stderr."""
    print(message, file=sys.stderr, flush=True)


class ChunkStore:
    """Finished chunks of jobs under ``root`` (created if missing)."""

    def __init__(self, root: str | os.PathLike, report: Callable[[str], None] = report_stderr):
        self.root = Path(root)
        self.report = report
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder",
                                     str(self.root))
        if self.root.is_dir():
            foreign = sorted(p.name for p in self.root.iterdir() if not _is_job_dir(p))
            if foreign:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise StoreFolderError(
                    f"{self.root}: holds files that are not stored chunks ({shown}); "
                    "choose a new or empty folder, or one an earlier --resume wrote")
        self.root.mkdir(parents=True, exist_ok=True)

    def job_dir(self, name: str, fp: str) -> Path:
        """The folder of the job called ``name`` with fingerprint ``fp``."""
        return self.root / f"{name}-{fp[:16]}"

    def open_job(self, name: str, fp: str, spec: dict[str, Any], n_chunks: int) -> Path:
        """Create the job's folder and ``_job.json`` (once); remove stale temporary files."""
        folder = self.job_dir(name, fp)
        folder.mkdir(exist_ok=True)
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        job_file = folder / JOB_FILE
        record = {"name": name, "fingerprint": fp, "chunks": n_chunks, "spec": spec}
        text = json.dumps(record, indent=1, sort_keys=True, default=str) + "\n"
        try:
            current = job_file.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != text:
            atomic_write(job_file, lambda p: p.write_text(text, encoding="utf-8"))
        return folder

    @staticmethod
    def chunk_path(folder: Path, index: int) -> Path:
        return folder / f"chunk-{index:05d}.parquet"

    def load(self, folder: Path, fp: str, index: int) -> dict[str, np.ndarray] | None:
        """The stored result of chunk ``index``, or None (missing, corrupt or foreign:
        the last two are reported in one line and will be recomputed)."""
        path = self.chunk_path(folder, index)
        if not path.exists():
            return None
        try:
            arrays, info = from_parquet_table(pq.read_table(path))
        except Exception as exc:  # noqa: BLE001 - any unreadable file is "corrupt"
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.report(f"store: {path} is corrupt ({reason}); recomputing chunk {index}")
            return None
        if info.get("job") != fp or info.get("chunk") != index:
            self.report(f"store: {path} is foreign (written for job "
                        f"{str(info.get('job'))[:16]}, chunk {info.get('chunk')}); "
                        f"recomputing chunk {index}")
            return None
        return arrays

    def exists(self, folder: Path, index: int) -> bool:
        """Whether a chunk file is there (not yet checked)."""
        return self.chunk_path(folder, index).exists()

    def save(self, folder: Path, fp: str, index: int, arrays: dict[str, np.ndarray]) -> None:
        """Write chunk ``index`` atomically."""
        table = to_parquet_table(arrays, {"job": fp, "chunk": index})
        atomic_write(self.chunk_path(folder, index), lambda p: pq.write_table(table, p))
