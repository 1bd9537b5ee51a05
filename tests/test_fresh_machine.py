"""What a newcomer's `make test` relies on: missing tools are installed or named, never skipped in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import REPO


def test_in_ci_a_skipped_test_fails(tmp_path: Path) -> None:
    suite = tmp_path / "tests"
    suite.mkdir()
    shutil.copy(REPO / "tests/conftest.py", suite / "conftest.py")
    (suite / "test_tool.py").write_text(
        "import pytest\n\n\n"
        "@pytest.mark.skipif(True, reason='needs a tool that is not installed')\n"
        "def test_with_a_tool():\n    pass\n",
        "utf-8",
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)]
    env = {**os.environ, "CI": "true"}
    in_ci = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert in_ci.returncode == 1
    assert "skipped in CI, where every test must run: needs a tool that is not installed" in in_ci.stdout
    env["CI"] = ""
    at_home = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert at_home.returncode == 0
    assert "1 skipped" in at_home.stdout


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="runs it as another user")
def test_a_missing_tool_is_named_with_the_command_that_installs_it() -> None:
    # a PATH without pdftoppm, and a user who is not root: the script cannot install, so it says how
    bin_dir = Path(tempfile.mkdtemp(prefix="briefgen-bin-"))  # tmp_path is private to root
    bin_dir.chmod(0o755)
    for tool in ("sh", "grep", "id", "apt-get", "fc-list"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    result = subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "scripts/ensure-test-tools.sh"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},
        timeout=60,
    )
    shutil.rmtree(bin_dir)
    assert result.returncode == 1
    assert "run: sudo apt-get install -y --no-install-recommends poppler-utils" in result.stderr
