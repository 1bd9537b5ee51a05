"""Python-Markdown's own test suite gives the same results with briefgen's triggers as without.

The suite comes from Python-Markdown's source distribution on PyPI, for the installed version,
fetched once into .briefgen-test-cache/. Offline, the test is skipped; in CI (CI=true) it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import markdown
import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".briefgen-test-cache"
RUNNER = Path(__file__).with_name("markdown_peer.py")


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("", "0", "false"):
        pytest.skip(reason)
    pytest.fail(reason)


def peer_suite(version: str) -> Path:
    """A folder holding the `tests` package of Python-Markdown `version`, fetched on first use."""
    folder = CACHE / f"markdown-{version}"
    if (folder / "tests").is_dir():
        return folder
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as work:
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
        fetched = subprocess.run(
            [*pip, "download", "--no-deps", "--no-binary", ":all:", "--dest", work, f"markdown=={version}"],
            capture_output=True,
            text=True,
            timeout=240,
        )
        archives = sorted(Path(work).glob("*.tar.gz"))
        if fetched.returncode != 0 or len(archives) != 1:
            unavailable(f"could not fetch Python-Markdown {version}'s sources: {fetched.stderr.strip()}")
        staging = Path(work) / "suite"
        with tarfile.open(archives[0]) as archive:
            for member in archive.getmembers():
                parts = PurePosixPath(member.name).parts
                if member.isfile() and parts[1:2] == ("tests",) and ".." not in parts:
                    target = staging.joinpath(*parts[1:])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    assert source is not None
                    target.write_bytes(source.read())
        if not (staging / "tests").is_dir():
            pytest.fail(f"Python-Markdown {version}'s sources hold no tests/ folder")
        staging.rename(folder)
    return folder


@pytest.mark.slow
def test_python_markdowns_own_suite_gives_the_same_results_with_the_triggers(tmp_path: Path) -> None:
    folder = peer_suite(markdown.__version__)
    runs = {}
    for mode in ("stock", "triggers"):
        output = tmp_path / f"{mode}.json"
        command = [sys.executable, str(RUNNER), str(folder), mode, str(output)]
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        runs[mode] = (process, output)
    reports = {}
    for mode, (process, output) in runs.items():
        printed, _ = process.communicate(timeout=240)
        assert process.returncode == 0, printed.decode(errors="replace")
        reports[mode] = json.loads(output.read_text("utf-8"))
    stock, triggered = reports["stock"]["outcomes"], reports["triggers"]["outcomes"]

    assert reports["stock"]["markdown"] == markdown.__version__
    passed = [name for name, outcome in stock.items() if outcome == "ok"]
    assert len(passed) > 500, "Python-Markdown's suite hardly ran"
    assert reports["stock"]["counts"]["instances"] == 0
    counts = reports["triggers"]["counts"]
    assert counts["instances"] > 500 and counts["triggered inline pass"] > 500, counts
    differences = {
        name: (stock.get(name), triggered.get(name))
        for name in sorted(stock.keys() | triggered.keys())
        if stock.get(name) != triggered.get(name)
    }
    assert not differences, json.dumps(differences, indent=1)
