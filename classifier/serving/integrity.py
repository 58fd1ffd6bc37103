"""Files a model is served from are whole and right, or they are not used.

Two kinds of file, two rules:

- **Cached files** (the converted base weights, the LiteRT flatbuffers and their reports) are derived, so a
  damaged one is rebuilt: ``ensure_cached`` builds under an exclusive file lock (two workers starting on one
  host, or replicas sharing a volume, build once, the second waits and reuses), writes to a name of its own,
  renames into place (a reader never sees half a file) and seals it with a ``.sha256`` file beside it. A
  file without a seal, or whose bytes do not match it, is built again.
- **Model directories** are trained by hand and shipped, so a damaged one cannot be rebuilt: ``seal_model``
  writes ``SHA256SUMS`` (every file) when a model is made, and ``verify_model`` raises ``ModelDamaged``
  naming the file when one does not match.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

SUMS_FILE = "SHA256SUMS"
SEAL_SUFFIX = ".sha256"
# What is rewritten after a model is sealed, or is a report about it rather than part of it.
UNSEALED = (SUMS_FILE, "MODEL_CARD.md", "metrics.json")


class ModelDamaged(RuntimeError):
    """A model file does not match its checksum, or the loaded model failed its self-check."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def partial_name(target: Path) -> Path:
    """A name beside ``target`` no other writer uses, ending like ``target`` (Keras checks the ending)."""
    return target.with_name(f".{os.getpid()}-{secrets.token_hex(4)}.partial.{target.name}")


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path`` whole or not at all, whatever runs beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(path)
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """An exclusive lock for building ``target``, held by one process of this host (or volume) at a time."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(f".{target.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def seal_path(path: Path) -> Path:
    return path.with_name(path.name + SEAL_SUFFIX)


def is_sealed(path: Path) -> bool:
    """``path`` exists and its bytes match the seal written when it was built."""
    seal = seal_path(path)
    if not path.is_file() or not seal.is_file():
        return False
    return seal.read_text().split()[0:1] == [sha256_file(path)]


def seal(path: Path) -> None:
    write_atomically(seal_path(path), f"{sha256_file(path)}  {path.name}\n".encode())


def ensure_cached(target: Path, build: Callable[[Path], None], *, what: str = "cached file") -> Path:
    """``target`` whole and sealed: as it is, or built by ``build(partial)`` (which writes the file it is
    given) under the lock, then renamed into place and sealed. A damaged file is logged and rebuilt."""
    if is_sealed(target):
        return target
    with locked(target):
        if is_sealed(target):  # another process built it while this one waited
            return target
        if target.exists():
            log.warning("%s %s does not match its checksum (or has none): rebuilding it", what, target)
        partial = partial_name(target)
        try:
            build(partial)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        seal(target)
    return target


def ensure_cached_bytes(target: Path, make: Callable[[], bytes], *, what: str = "cached file") -> Path:
    return ensure_cached(target, lambda partial: partial.write_bytes(make()), what=what)


def model_files(model_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in model_dir.rglob("*")
        if p.is_file() and p.name not in UNSEALED and p.relative_to(model_dir).parts[0] != "evaluation"
    )


def seal_model(model_dir: Path) -> Path:
    """Write ``SHA256SUMS`` for every file of a model directory (run whenever a model is made or edited)."""
    lines = [f"{sha256_file(p)}  {p.relative_to(model_dir).as_posix()}" for p in model_files(model_dir)]
    sums = model_dir / SUMS_FILE
    write_atomically(sums, ("\n".join(lines) + "\n").encode())
    return sums


def verify_model(model_dir: Path) -> None:
    """Raise ``ModelDamaged`` unless every file ``SHA256SUMS`` lists is there with those bytes, and every
    file the model is served from is listed."""
    sums = model_dir / SUMS_FILE
    if not sums.is_file():
        raise ModelDamaged(f"model {model_dir} has no {SUMS_FILE}: it cannot be checked, so it is not served")
    listed: dict[str, str] = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            listed[name.strip()] = digest
    for name, digest in listed.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelDamaged(f"model file {path} is missing")
        if sha256_file(path) != digest:
            raise ModelDamaged(f"model file {path} does not match its checksum in {SUMS_FILE}: it is damaged")
    unlisted = [p.name for p in model_files(model_dir) if p.relative_to(model_dir).as_posix() not in listed]
    if unlisted:
        raise ModelDamaged(f"model {model_dir} has files {SUMS_FILE} does not list: {unlisted}")
