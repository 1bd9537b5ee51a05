"""The only writer: stages every changed file, then swaps them in only when the build succeeded.

A failed build leaves the output folder exactly as it was. Only files whose bytes changed are
rewritten; files no longer produced are removed. Nothing outside the output folder is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from .errors import BuildError

MARKER = ".briefgen-output"  # manifest of what the last build wrote; also proves ownership
STAGING = ".briefgen-staging"


def check_output_dir(out: Path, root: Path, content: Path) -> None:
    """Refuse an output folder whose cleaning could destroy something that is not output."""
    resolved = out.resolve()
    for name, protected in (
        ("the project folder", root.resolve()),
        ("the content folder", content.resolve()),
    ):
        if resolved == protected or resolved in protected.parents:
            raise BuildError(f"refusing to write into {out}: it is {name} or contains it")
        if protected in resolved.parents and name == "the content folder":
            raise BuildError(f"refusing to write into {out}: it is inside the content folder")
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise BuildError(f"refusing to write into {out}")
    if out.exists() and not out.is_dir():
        raise BuildError(f"output {out} exists and is not a folder")
    if out.is_dir() and not (out / MARKER).is_file():
        leftovers = [p.name for p in out.iterdir() if p.name != STAGING]
        if leftovers:
            raise BuildError(
                f"refusing to write into {out}: it is not empty and was not made by briefgen "
                f"(it holds {', '.join(sorted(leftovers)[:3])}); choose another --out or empty it"
            )


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Writer:
    """Collect a whole build's files, then commit them atomically (per file) or abort."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.staging = out / STAGING
        self.created_out = not out.exists()
        self.previous = self._read_manifest()
        self.files: dict[str, str] = {}  # relative path -> digest of its bytes
        self.changed: list[str] = []
        self.staging.mkdir(parents=True, exist_ok=True)

    def _read_manifest(self) -> dict[str, str]:
        try:
            data = json.loads((self.out / MARKER).read_text("utf-8"))
            files = data.get("files", {})
            return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
        except (OSError, ValueError):
            return {}

    def _target(self, relative: str) -> Path:
        target = (self.out / relative).resolve()
        if not target.is_relative_to(self.out.resolve()) or relative.startswith(STAGING):
            raise BuildError(f"refusing to write outside the output folder: {relative}")
        return self.out / relative

    def add(self, relative: str, data: bytes, source: str = "") -> None:
        if relative in self.files:
            raise BuildError(
                f"two outputs would be written to {relative}" + (f" (second from {source})" if source else "")
            )
        target = self._target(relative)
        digest = _digest(data)
        self.files[relative] = digest
        if self.previous.get(relative) == digest and target.is_file() and self._same(target, data):
            return
        staged = self.staging / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
        self.changed.append(relative)

    @staticmethod
    def _same(target: Path, data: bytes) -> bool:
        try:
            return target.stat().st_size == len(data)
        except OSError:
            return False

    def commit(self) -> list[str]:
        """Move staged files into place and drop files this build no longer makes."""
        for relative in self.changed:
            target = self.out / relative
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / relative, target)
        removed = self._remove_stale()
        if self.files != self.previous or not (self.out / MARKER).is_file():
            manifest = {"generator": "briefgen", "files": dict(sorted(self.files.items()))}
            tmp = self.out / (MARKER + ".tmp")
            tmp.write_text(json.dumps(manifest, indent=0), "utf-8")
            os.replace(tmp, self.out / MARKER)
        shutil.rmtree(self.staging, ignore_errors=True)
        return removed

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.created_out and self.out.is_dir() and not any(self.out.iterdir()):
            self.out.rmdir()

    def _remove_stale(self) -> list[str]:
        removed = []
        for dirpath, dirnames, filenames in os.walk(self.out, topdown=False):
            folder = Path(dirpath)
            relative_dir = folder.relative_to(self.out)
            if relative_dir.parts and relative_dir.parts[0] == STAGING:
                continue
            for name in filenames:
                relative = (relative_dir / name).as_posix()
                if relative in (MARKER, STAGING) or relative in self.files:
                    continue
                (folder / name).unlink()
                removed.append(relative)
            for name in dirnames:
                sub = folder / name
                if sub != self.staging and not sub.is_symlink() and not any(sub.iterdir()):
                    sub.rmdir()
        return removed
