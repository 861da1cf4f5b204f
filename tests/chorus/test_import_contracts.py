"""The layering is enforced: `make lint` runs lint-imports with the contracts in
pyproject.toml. These tests prove the contracts bite, on a copy of the tree."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("chorus", "core", "networks", "accounts", "content", "advocacy", "analytics", "notifications",
            "identity", "webhooks", "sandbox", "demo")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The packages and the contracts, copied (without tests, media or the venv)."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_layers(tree: Path):
    add_line(tree / "content" / "selectors.py", "from advocacy.models import Share  # noqa")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "content is not allowed to import advocacy" in result.stdout


def test_analytics_and_notifications_stay_apart(tree: Path):
    add_line(tree / "analytics" / "selectors" / "impact.py", "from notifications.models import Notification  # noqa")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "analytics is not allowed to import notifications" in result.stdout


def test_production_code_may_not_import_the_sandbox(tree: Path):
    add_line(tree / "advocacy" / "services" / "posting.py", "import sandbox  # noqa")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "advocacy is not allowed to import sandbox" in result.stdout


def test_a_cycle_inside_an_app_is_refused(tree: Path):
    # services → tasks is the cycle that enqueue-by-name removed.
    add_line(tree / "advocacy" / "services" / "sharing.py", "from advocacy import tasks  # noqa")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "No cycles are allowed in advocacy" in result.stdout
