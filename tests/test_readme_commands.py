"""Every shell command the add-in READMEs show runs, as a newcomer would type it, in a
copy of the repository: what the README says works, works.

A command that needs something a test machine does not have carries a marker comment,
`# needs: network` (pip downloading packages) or `# needs: Excel` (desktop Excel): those
are skipped, and there may be only a few."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = ["addin/lite/README.md", "addin/classic/README.md"]
NEEDS = re.compile(r"#\s*needs:\s*(\w+)\s*$")
KINDS = {"network", "Excel"}
MAX_SKIPPED = 8


def commands(readme: str) -> list[tuple[str, str | None]]:
    """(command, what it needs or None) for each line of the README's bash blocks."""
    text = (ROOT / readme).read_text()
    out = []
    for block in re.findall(r"^```(?:bash|sh|shell)\n(.*?)^```", text, re.M | re.S):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            need = NEEDS.search(line)
            out.append((line.strip(), need.group(1) if need else None))
    return out


ALL = [(readme, cmd, need) for readme in READMES for cmd, need in commands(readme)]


def test_the_readmes_show_commands_and_mark_only_a_few_as_skipped():
    assert {r for r, _, _ in ALL} == set(READMES)
    skipped = [(r, c, n) for r, c, n in ALL if n is not None]
    assert {n for _, _, n in skipped} <= KINDS, skipped
    assert len(skipped) <= MAX_SKIPPED, skipped
    assert len(ALL) - len(skipped) >= 4


def test_the_marker_is_recognised():
    assert NEEDS.search("python -m pip install .   # needs: network").group(1) == "network"
    assert NEEDS.search("ordersheet lite lite-files") is None


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """The repository's files as someone downloads them (no .git, no venv)."""
    dest = tmp_path_factory.mktemp("repo")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.mark.parametrize("readme", READMES)
def test_every_command_of_the_readme_runs(readme, checkout):
    runnable = [cmd for cmd, need in commands(readme) if need is None]
    env = dict(os.environ, PYTHONPATH=str(checkout / "src"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                     os.environ.get("PATH", "")]))
    for cmd in runnable:
        done = subprocess.run(["bash", "-c", cmd], cwd=checkout, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{readme}: `{cmd}` failed:\n{done.stderr[-2000:]}"
    for path in WRITES[readme]:  # what the README says the commands leave behind
        assert (checkout / path).is_file(), path
    xlam = "addin/classic/ordersheet_addin.xlam"  # build_addin.py rebuilds the same file
    assert (checkout / xlam).read_bytes() == (ROOT / xlam).read_bytes()


WRITES = {
    "addin/lite/README.md": ["lite-files/main.py", "lite-files/requirements.txt", "orders.xlsx",
                             "lite-hosted/main.py", "lite-hosted/requirements.txt",
                             "lite-hosted/ordersheet-0.1.0-py3-none-any.whl"],
    "addin/classic/README.md": [],
}
