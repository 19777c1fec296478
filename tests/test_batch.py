"""``upsample batch``: finding files, mirroring the tree, failures, resuming, interruptions, the report.

Through Click's runner and, for signals, a real ``python -m upsample_cli``. Images are tiny so the
whole file runs in seconds; pixels are checked against ``upsample resize`` on the same file.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from upsample_cli import batch
from upsample_cli.cli import main
from upsample_cli.report import EXIT_INTERRUPTED, FAILED, Outcome, Report
from helpers import pixels


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def picture(path, seed=0, size=(12, 10), mode="RGB"):
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    a = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a[..., 0] if channels == 1 else a).save(path)
    return path


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file())


@pytest.fixture
def tree(tmp_path):
    """src/ with images at the top, in a subfolder, in a folder with a space, and a non-image."""
    src = tmp_path / "src"
    picture(src / "a.png", 1)
    picture(src / "b.jpg", 2)
    picture(src / "sub" / "c.png", 3, mode="RGBA")
    picture(src / "sub" / "deeper" / "d.tif", 4)
    picture(src / "two words" / "ünïcødé ñame.png", 5, mode="L")
    (src / "notes.txt").write_text("not an image")
    picture(src / ".hidden" / "e.png", 6)
    picture(src / ".f.png", 7)
    return src


# --- the tree ---------------------------------------------------------------------------------


def test_recursive_batch_mirrors_the_tree(tree, tmp_path):
    dst = tmp_path / "dst"
    result = run("batch", tree, dst, "--scale", "2", "--mode", "bicubic", "--recursive", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert files_under(dst) == ["a.png", "b.jpg", "sub/c.png", "sub/deeper/d.tif", "two words/ünïcødé ñame.png"]
    for name in files_under(dst):
        single = tmp_path / "single" / name
        single.parent.mkdir(parents=True, exist_ok=True)
        assert run("resize", tree / name, single, "--scale", "2", "--mode", "bicubic").exit_code == 0
        np.testing.assert_array_equal(pixels(dst / name), pixels(single))
    assert pixels(dst / "a.png").shape == (20, 24, 3)
    assert result.stdout == ""
    assert "5 of 5 files in" in result.stderr and "done        5" in result.stderr


def test_without_recursive_only_the_top_folder(tree, tmp_path):
    dst = tmp_path / "dst"
    result = run("batch", tree, dst, "--scale", "2", "--jobs", "1", "-q")
    assert result.exit_code == 0, result.output
    assert files_under(dst) == ["a.png", "b.jpg"]


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("*.png", ["a.png", "sub/c.png", "two words/ünïcødé ñame.png"]),
        ("sub/*", ["sub/c.png", "sub/deeper/d.tif"]),
    ],
)
def test_glob(tree, tmp_path, pattern, expected):
    dst = tmp_path / "dst"
    result = run("batch", tree, dst, "--scale", "2", "-r", "--glob", pattern, "-q")
    assert result.exit_code == 0, result.output
    assert files_under(dst) == expected


def test_format_and_colliding_outputs(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    picture(src / "a.png", 1)
    picture(src / "a.jpg", 2)
    picture(src / "b.jpg", 3)
    result = run("batch", src, dst, "--scale", "2", "--format", "PNG", "--jobs", "1")
    assert result.exit_code == 1
    assert files_under(dst) == ["b.png"]
    assert f"{src / 'a.jpg'}: a.png would also be written to {dst / 'a.png'}; none of them is written" in result.stderr
    assert f"{src / 'a.png'}: a.jpg would also be written to {dst / 'a.png'}" in result.stderr
    assert "failed      2" in result.stderr


def test_an_input_format_that_cannot_be_written_needs_format(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(src / "anim.gif")
    result = run("batch", src, dst, "--scale", "2", "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {src / 'anim.gif'}: .gif is not an output format; give --format")
    assert run("batch", src, dst, "--scale", "2", "--format", "png", "-q").exit_code == 0
    assert pixels(dst / "anim.png").shape == (8, 8, 3)  # a palette, expanded by the bilinear resize


# --- failures ----------------------------------------------------------------------------------


@pytest.fixture
def damaged(tmp_path):
    src = tmp_path / "src"
    for i in range(4):
        picture(src / f"good{i}.png", i)
    (src / "empty.png").write_bytes(b"")
    (src / "text.png").write_text("hello")
    whole = picture(tmp_path / "whole.png", 9, size=(64, 64)).read_bytes()
    (src / "sub").mkdir()
    (src / "sub" / "truncated.png").write_bytes(whole[: len(whole) // 2])
    return src


def test_damaged_files_are_reported_and_the_rest_done(damaged, tmp_path):
    dst = tmp_path / "dst"
    result = run("batch", damaged, dst, "--scale", "2", "-r", "--jobs", "2")
    assert result.exit_code == 1
    assert files_under(dst) == [f"good{i}.png" for i in range(4)]
    assert "done        4" in result.stderr and "failed      3" in result.stderr
    assert f"    {damaged / 'empty.png'}: file is empty\n" in result.stderr
    assert f"    {damaged / 'text.png'}: " in result.stderr
    assert f"    {damaged / 'sub' / 'truncated.png'}: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not [p for p in dst.rglob("*") if p.name.endswith(".part")]


def test_quiet_lists_only_the_failures(damaged, tmp_path):
    result = run("batch", damaged, tmp_path / "dst", "--scale", "2", "-q")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ")[1] for line in lines] == [str(damaged / n) for n in ("empty.png", "text.png")]
    assert all(line.startswith("error: ") for line in lines)


def test_fail_fast_starts_nothing_after_a_failure(damaged, tmp_path):
    result = run("batch", damaged, tmp_path / "dst", "--scale", "2", "--fail-fast", "--jobs", "1")
    assert result.exit_code == 1
    assert "failed      1" in result.stderr and "done        0" in result.stderr  # empty.png comes first
    assert "stopped at the first failure (--fail-fast): 5 files not processed" in result.stderr


def test_debug_adds_the_traceback_of_each_failure(damaged, tmp_path):
    result = run("batch", damaged, tmp_path / "dst", "--scale", "2", "-q", "--debug")
    assert result.exit_code == 1
    assert result.stderr.count("Traceback (most recent call last)") == 2
    assert result.stderr.splitlines()[-1].startswith(f"error: {damaged / 'text.png'}: ")


def crash_on_boom(src, dst):
    """A converter for process workers that dies on one file."""
    if "boom" in os.path.basename(src):
        os._exit(3)
    Path(dst).write_bytes(b"converted")
    return (1,), (2,)


def test_a_worker_that_dies_fails_only_its_file(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    for name in ("a.png", "boom.png", "c.png", "d.png"):
        picture(src / name)
    report = batch.run(batch.Selection(str(src), str(dst)), crash_on_boom, jobs=2)
    assert (report.done, report.failed) == (3, 1)
    assert report.failures[0].src == str(src / "boom.png")
    assert report.failures[0].reason == "the worker process ended (exit status 3) while resizing this file"
    assert files_under(dst) == ["a.png", "c.png", "d.png"]


def engine_threads(src, dst):
    """A converter that writes how many Numba threads its worker may use."""
    import numba

    Path(dst).write_text(str(numba.get_num_threads()))


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_workers_share_the_cores(tmp_path, jobs):
    src, dst = tmp_path / "src", tmp_path / "dst"
    for i in range(3):
        picture(src / f"{i}.png")
    batch.run(batch.Selection(str(src), str(dst)), engine_threads, jobs=jobs)
    used = {int(p.read_text()) for p in dst.iterdir()}
    assert used == {max(1, batch.cores() // jobs)}


# --- resuming and outputs inside the input -----------------------------------------------------


def test_skip_existing_trusts_existing_outputs(tree, tmp_path):
    dst = tmp_path / "dst"
    picture(dst / "a.png", 99)
    before = (dst / "a.png").read_bytes()
    result = run("batch", tree, dst, "--scale", "2", "--skip-existing", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert (dst / "a.png").read_bytes() == before
    assert "skipped     1" in result.stderr and "done        1" in result.stderr
    result = run("batch", tree, dst, "--scale", "2", "--jobs", "1", "-q")
    assert (dst / "a.png").read_bytes() != before


def test_an_output_folder_inside_the_input_is_never_read(tree, tmp_path):
    dst = tree / "out"
    for _ in range(2):
        result = run("batch", tree, dst, "--scale", "2", "-r", "--jobs", "2", "--report", tmp_path / "r.json")
        assert result.exit_code == 0, result.output
        assert json.loads((tmp_path / "r.json").read_text())["totals"]["files"] == 5
    assert not (dst / "out").exists()


def test_symlink_loops_do_not_hang(tree, tmp_path):
    os.symlink("..", tree / "sub" / "loop")
    os.symlink(tree / "sub", tree / "two words" / "to sub")
    dst = tmp_path / "dst"
    result = run("batch", tree, dst, "--scale", "2", "-r", "-q")
    assert result.exit_code == 0, result.output
    assert files_under(dst) == ["a.png", "b.jpg", "sub/c.png", "sub/deeper/d.tif", "two words/ünïcødé ñame.png"]


# --- the report ----------------------------------------------------------------------------------


def test_json_report(damaged, tmp_path):
    dst, path = tmp_path / "dst", tmp_path / "report.json"
    picture(dst / "good0.png")
    result = run("batch", damaged, dst, "--scale", "2", "--skip-existing", "--report", path, "-q")
    assert result.exit_code == 1
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["source"] == str(damaged) and report["destination"] == str(dst)
    by_name = {Path(f["input"]).name: f for f in report["files"]}
    assert set(by_name) == {"good0.png", "good1.png", "good2.png", "good3.png", "empty.png", "text.png"}
    assert by_name["good0.png"]["status"] == "skipped"
    good = by_name["good1.png"]
    assert good["status"] == "done" and good["reason"] is None
    assert good["input_shape"] == [10, 12, 3] and good["output_shape"] == [20, 24, 3]
    assert good["output"] == str(dst / "good1.png") and good["seconds"] > 0
    assert by_name["empty.png"] == {
        "input": str(damaged / "empty.png"), "output": str(dst / "empty.png"), "status": "failed",
        "reason": "file is empty", "input_shape": None, "output_shape": None,
        "seconds": by_name["empty.png"]["seconds"],
    }
    totals = report["totals"]
    assert {k: totals[k] for k in ("done", "skipped", "failed", "interrupted", "files", "found")} == {
        "done": 3, "skipped": 1, "failed": 2, "interrupted": 0, "files": 6, "found": 6,
    }
    assert totals["exit_status"] == 1 and totals["stopped"] is None and totals["seconds"] > 0


def test_report_exit_status():
    report = Report()
    assert report.return_code == 0
    report.add(Outcome("a.png", "b.png", FAILED, "bad"))
    assert report.return_code == 1
    report.stopped = "interrupted"
    assert report.return_code == EXIT_INTERRUPTED == 130


def test_summary_fits_on_a_screen():
    report = Report()
    for i in range(50):
        report.add(Outcome(f"f{i:02d}.png", None, FAILED, "bad"))
    lines = report.summary()
    assert len(lines) < 30
    assert lines[-1] == "    ... and 30 more failed files (--report lists all)"


def test_progress_line_when_stderr_is_not_a_terminal():
    from upsample_cli.progress import Progress

    progress = Progress(enabled=True, stream=open(os.devnull, "w"))
    progress.set_total(40)
    for _ in range(10):
        progress.advance()
    progress.advance(failed=True)
    line = progress.line()
    assert line.startswith("upsample batch:  28%") and "11/40" in line and line.endswith(", 1 failed")
    progress.close()


# --- usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing", "dst", "--scale", "2"], "missing: SRC does not exist"),
        (["file.png", "dst", "--scale", "2"], "file.png: SRC is not a folder (use 'upsample resize' for one file)"),
        (["src", "file.png", "--scale", "2"], "file.png: DST is a file, not a folder"),
        (["src", "src", "--scale", "2"], "src: DST is SRC"),
        (["src", "dst"], "give one of --scale, --size, --spacing or --isotropic"),
        (["src", "dst", "--scale", "2", "--format", "gif"], "'gif' is not an output format; give one of png, jpg"),
        (["src", "dst", "--scale", "2", "--jobs", "0"], "Invalid value for '-j' / '--jobs'"),
        (["src", "dst", "--scale", "2", "--mode", "bogus"], "--mode: "),
    ],
)
def test_bad_usage_exits_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    picture(tmp_path / "src" / "a.png")
    picture(tmp_path / "file.png")
    result = run("batch", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "dst").exists()


def test_batch_shares_the_resize_options():
    from upsample_cli.cli import batch_command, resize

    # (--memory resizes one volume block by block: resize's own)
    shared = {p.name for p in resize.params} - {"src", "dst", "overwrite_input", "explain", "memory"}
    assert shared <= {p.name for p in batch_command.params}
    help_text = run("batch", "--help").output
    for option in ("--scale", "--size", "--mode", "--convention", "--antialias", "--quality", "--recursive",
                   "--glob", "--jobs", "--skip-existing", "--format", "--fail-fast", "--report", "--quiet"):
        assert option in help_text


def test_the_library_run_gives_the_files_of_the_command(tree, tmp_path):
    from upsample_cli.pipeline import FileResize, Settings
    from upsample_cli.sizes import Scale

    convert = FileResize(Settings(Scale((2.0,)), mode="bilinear"))
    report = batch.run(batch.Selection(str(tree), str(tmp_path / "library"), recursive=True), convert)
    assert (report.done, report.total) == (5, 5)
    result = run("batch", tree, tmp_path / "command", "--scale", "2", "--mode", "bilinear", "--recursive", "-q")
    assert result.exit_code == 0, result.output
    assert files_under(tmp_path / "library") == files_under(tmp_path / "command")
    for name in files_under(tmp_path / "library"):
        np.testing.assert_array_equal(pixels(tmp_path / "library" / name), pixels(tmp_path / "command" / name))


def test_a_setting_that_does_not_fit_a_file_is_its_reason(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    picture(src / "a.png")
    result = run("batch", src, dst, "--size", "20x20x4")
    assert result.exit_code == 1
    assert f"{src / 'a.png'}: --size 20x20x4: a 2-D image takes WxH" in result.stderr
    assert "unexpected" not in result.stderr


# --- interruptions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupted_run_then_resumed(tmp_path, how):
    src, dst = tmp_path / "src", tmp_path / "dst"
    count = 24
    for i in range(count):
        picture(src / f"img {i:02d}.png", i, size=(96, 96))
    # lzma TIFFs of noise: slow enough that the signal lands mid-batch
    args = [sys.executable, "-m", "upsample_cli", "batch", str(src), str(dst), "--scale", "4", "--format", "tif",
            "--compression", "lzma", "--jobs", "2"]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (dst.is_dir() and any(p.suffix == ".tif" for p in dst.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.01)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # a terminal sends it to the whole group
    else:
        proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "interrupted: " in stderr and "files not processed; run again with --skip-existing" in stderr
    leftovers = [p.name for p in dst.iterdir() if p.suffix != ".tif"]
    assert leftovers == []
    written = sorted(p.name for p in dst.iterdir())
    assert 0 < len(written) < count
    for name in written:
        assert tifffile.imread(dst / name).shape == (384, 384, 3)

    resumed = subprocess.run(args + ["--skip-existing"], capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert f"skipped     {len(written)}" in resumed.stderr
    assert f"done        {count - len(written)}" in resumed.stderr
    assert len(os.listdir(dst)) == count


def test_report_in_a_missing_folder_is_refused_before_any_file(tree, tmp_path):
    dst = tmp_path / "dst"
    result = run("batch", tree, dst, "--scale", "2", "--report", tmp_path / "missing" / "report.json")
    assert result.exit_code == 1
    assert result.stderr == f"error: --report {tmp_path / 'missing' / 'report.json'}: folder " \
        f"{tmp_path / 'missing'} does not exist\n"
    assert files_under(dst) == []


def test_format_options_for_another_format_are_warned_about(tree, tmp_path):
    result = run("batch", tree, tmp_path / "dst", "--scale", "2", "--format", "tif", "--quality", "80", "-q")
    assert result.exit_code == 0
    assert result.stderr == "warning: --quality applies to JPEG and WEBP output only; ignored for TIFF\n"
