"""The tooling gates of STYLE.md, run with the suite so CI enforces them."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_lint_is_clean():
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_services_and_selectors_type_check():
    targets = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/services.py"))
    targets += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/services/*.py"))
    targets += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/selectors.py"))
    targets.append("assets/validation.py")
    result = run(str(BIN / "mypy"), *targets)
    assert result.returncode == 0, result.stdout + result.stderr
