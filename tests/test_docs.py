"""Every example in README.md and docs/*.md runs: ``upsample`` commands on sample data, Python snippets.

Examples are the fenced code blocks: ``sh`` blocks hold commands (one a line; ``&&`` chains run
their ``upsample`` parts), ``python`` blocks are executed. ``text`` blocks (synopses, printed
output) are not run, except that a ``python benchmarks/NAME.py`` synopsis must name a script that
exists and answers ``--help``.
"""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from upsample_cli.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
# Parts of a set-up chain a test does not run: installing, and the test suite itself.
NOT_RUN = ("pip install", "python -m pytest")


def blocks(language):
    for page in PAGES:
        for match in FENCE.finditer(page.read_text(encoding="utf-8")):
            if match.group(1) == language:
                line = page.read_text(encoding="utf-8")[: match.start()].count("\n") + 1
                yield pytest.param(match.group(2), id=f"{page.name}:{line}")


def commands():
    for param in blocks("sh"):
        text, = param.values
        for line in text.splitlines():
            if line.strip() and not line.startswith("#"):
                yield pytest.param(line, id=f"{param.id}:{line[:40]}")


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A folder holding the files the examples name, made from the sample data."""
    photo = Image.open(SAMPLES / "photo.png")
    photo.save(tmp_path / "photo.png")
    photo.convert("RGB").save(tmp_path / "photo.jpg", quality=90)
    shutil.copytree(SAMPLES, tmp_path / "sample_data")
    stack = tifffile.imread(SAMPLES / "stack.tif")
    tifffile.imwrite(tmp_path / "stack.tif", stack)
    tifffile.imwrite(tmp_path / "cells.tif", stack, imagej=True, resolution=(2.0, 2.0),
                     metadata={"axes": "ZYX", "spacing": 1.0, "unit": "um"})
    tifffile.imwrite(tmp_path / "cells.ome.tif", stack, ome=True, metadata={
        "axes": "ZYX", "PhysicalSizeZ": 1.0, "PhysicalSizeY": 0.5, "PhysicalSizeX": 0.5})
    np.save(tmp_path / "volume.npy", np.stack([stack, stack]).astype(np.float32))  # CZYX
    for folder in ("photos", "photos/day2", "scans"):
        (tmp_path / folder).mkdir()
        photo.save(tmp_path / folder / "a.png")
    (tmp_path / "stacks").mkdir()
    tifffile.imwrite(tmp_path / "stacks" / "s.tif", stack)
    # A trained-looking x2 decoder layer for RGB: depthwise, bilinear kernel, in torch's layout.
    taps = np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25])
    np.savez(tmp_path / "up.npz", **{"decoder.up1.weight": np.tile(taps, (3, 1, 1, 1)).astype(np.float32),
                                     "decoder.up1.bias": np.zeros(3, np.float32)})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_pages_have_examples():
    assert len(list(commands())) >= 20
    assert len(list(blocks("python"))) >= 3


@pytest.mark.parametrize("line", list(commands()))
def test_example_command_runs(workspace, line):
    for part in (p.strip() for p in line.split("&&")):
        if part.startswith(NOT_RUN):
            continue
        args = shlex.split(part)
        assert args[0] == "upsample", f"an example runs something other than upsample: {part!r}"
        result = CliRunner().invoke(main, args[1:])
        assert result.exit_code == 0, (part, result.output)


@pytest.mark.parametrize("code", list(blocks("python")))
def test_example_snippet_runs(workspace, code):
    exec(compile(code, "<snippet>", "exec"), {"__name__": "__snippet__"})


@pytest.mark.parametrize("script", sorted({m for p in blocks("text") for m in re.findall(
    r"python (benchmarks/\w+\.py|docs/\w+\.py)", p.values[0])}))
def test_named_scripts_exist_and_answer_help(script):
    result = subprocess.run([sys.executable, str(ROOT / script), "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
