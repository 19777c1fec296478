"""``upsample batch --scheduler``: the same batch on a real Dask cluster (two worker processes).

One ``distributed.LocalCluster`` serves the module; the command runs through Click's runner and,
for Ctrl-C, as a real ``python -m upsample_cli`` process. Outputs are checked against the process
pool's, byte for byte.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tifffile
from click.testing import CliRunner

from upsample_cli.cli import main

distributed = pytest.importorskip("distributed")

from test_batch import files_under, picture  # noqa: E402


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as c:
        with distributed.Client(c) as client:
            yield c.scheduler_address, client


def idle(client, timeout=30.0):
    """Wait until no task runs or waits anywhere on the cluster."""
    deadline = time.monotonic() + timeout
    while any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_batch_on_the_cluster_equals_the_process_pool(cluster, tmp_path):
    address, _ = cluster
    src = tmp_path / "src"
    picture(src / "a.png", 1)
    picture(src / "sub" / "b.png", 2, mode="RGBA")
    picture(src / "sub" / "c.tif", 3)
    picture(src / "d.jpg", 4, mode="L")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    common = ["--scale", "2", "--mode", "bicubic", "--recursive"]
    pool = run("batch", src, tmp_path / "pool", *common, "--jobs", "2", "-q")
    report = tmp_path / "report.json"
    # the address from the environment, as a job script on a cluster gives it
    ours = run("batch", src, tmp_path / "dask", *common, "--report", report, env={"DASK_SCHEDULER_ADDRESS": address})
    assert (pool.exit_code, ours.exit_code) == (1, 1), ours.stderr
    assert f"{src / 'broken.png'}: " in ours.stderr
    assert "done        4" in ours.stderr and "failed      1" in ours.stderr
    data = json.loads(report.read_text())
    status = {Path(f["input"]).name: (f["status"], f["output_shape"]) for f in data["files"]}
    assert status == {"a.png": ("done", [20, 24, 3]), "b.png": ("done", [20, 24, 4]), "c.tif": ("done", [20, 24, 3]),
                      "d.jpg": ("done", [20, 24]), "broken.png": ("failed", None)}
    assert data["totals"]["exit_status"] == 1
    assert files_under(tmp_path / "dask") == files_under(tmp_path / "pool") == ["a.png", "d.jpg", "sub/b.png",
                                                                              "sub/c.tif"]
    for name in files_under(tmp_path / "pool"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "pool" / name).read_bytes(), name


# Ctrl-C acts the same whatever disposition the test runner left for SIGINT.
DEFAULT_SIGINT = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'upsample'; runpy.run_module('upsample_cli', run_name='__main__')"
)


def test_ctrl_c_stops_the_cluster_then_a_rerun_resumes(cluster, tmp_path):
    address, client = cluster
    src, dst = tmp_path / "src", tmp_path / "dst"
    count = 6
    for i in range(count):
        picture(src / f"img {i}.png", i, size=(64, 64))
    # lzma TIFFs of noise: slow enough that the signal lands mid-batch
    args = [sys.executable, "-c", DEFAULT_SIGINT, "batch", str(src), str(dst), "--scale", "4", "--format", "tif",
            "--compression", "lzma", "--scheduler", address]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (dst.is_dir() and any(p.suffix == ".tif" for p in dst.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "files not processed; run again with --skip-existing" in stderr
    idle(client)  # stopped tasks do not finish their files later
    assert [p.name for p in dst.iterdir() if p.suffix != ".tif"] == []
    written = sorted(p.name for p in dst.iterdir())
    assert 0 < len(written) < count

    resumed = subprocess.run(args + ["--skip-existing"], capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert f"skipped     {len(written)}" in resumed.stderr
    assert f"done        {count - len(written)}" in resumed.stderr
    assert sorted(os.listdir(dst)) == [f"img {i}.tif" for i in range(count)]
    for name in os.listdir(dst):
        assert tifffile.imread(dst / name).shape == (256, 256, 3)


def test_the_library_runs_on_a_client(cluster, tmp_path):
    from upsample_cli import batch
    from upsample_cli.pipeline import FileResize, Settings
    from upsample_cli.sizes import Scale

    _, client = cluster
    src = tmp_path / "src"
    for i in range(3):
        picture(src / f"{i}.png", i)
    convert = FileResize(Settings(Scale((0.5,)), mode="area"))
    report = batch.run(batch.Selection(str(src), str(tmp_path / "dst")), convert, client=client, jobs=1)
    assert (report.done, report.total, report.return_code) == (3, 3, 0)
    assert files_under(tmp_path / "dst") == ["0.png", "1.png", "2.png"]


# --- usage ---------------------------------------------------------------------------------------


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_bad_usage(tmp_path):
    import dask

    src = tmp_path / "src"
    picture(src / "a.png")
    scheduler_file = tmp_path / "scheduler.json"
    address = f"tcp://127.0.0.1:{closed_port()}"
    scheduler_file.write_text(json.dumps({"address": address}))
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = run("batch", src, tmp_path / "dst", "--scale", "2", "--scheduler-file", scheduler_file)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {address}: cannot reach the Dask scheduler (")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "dst").exists()


@pytest.mark.parametrize("case", ["both", "missing file", "not a scheduler file"])
def test_scheduler_options_that_cannot_work(tmp_path, case):
    src = tmp_path / "src"
    picture(src / "a.png")
    scheduler_file = tmp_path / "scheduler.json"
    if case == "not a scheduler file":
        scheduler_file.write_text("[1, 2]")
    options = ["--scheduler-file", scheduler_file]
    if case == "both":
        options += ["--scheduler", "tcp://127.0.0.1:8786"]
    result = run("batch", src, tmp_path / "dst", "--scale", "2", *options)
    assert result.exit_code == 2
    expected = {
        "both": "error: give --scheduler or --scheduler-file, not both",
        "missing file": f"error: {scheduler_file}: cannot read the scheduler file: No such file or directory",
        "not a scheduler file": f"error: {scheduler_file}: not a Dask scheduler file (no \"address\")",
    }[case]
    assert result.stderr == expected + "\n"


def test_without_distributed_the_error_names_the_package(tmp_path, monkeypatch):
    src = tmp_path / "src"
    picture(src / "a.png")
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = run("batch", src, tmp_path / "dst", "--scale", "2", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert result.stderr == "error: --scheduler needs the distributed package: pip install 'dask[distributed]'\n"


# --- a volume's blocks on the cluster ------------------------------------------------------------

VOLUME_SHAPE = (18, 22, 26)


@pytest.fixture(scope="module")
def volume(tmp_path_factory):
    import numpy as np
    zarr = pytest.importorskip("zarr")

    d = tmp_path_factory.mktemp("volume")
    data = (np.random.default_rng(7).random(VOLUME_SHAPE) * 60000).astype(np.uint16)
    array = zarr.open_array(str(d / "in.zarr"), mode="w", shape=data.shape, chunks=(5, 8, 8), dtype=data.dtype)
    array[:] = data
    tifffile.imwrite(d / "in.tif", data, imagej=True, metadata={"axes": "ZYX", "spacing": 2.0, "unit": "um"})
    return d


def leftovers(folder):
    return [p.name for p in Path(folder).iterdir() if p.name.startswith(".")]


def test_a_volume_s_blocks_spread_over_the_workers_equal_the_local_result(cluster, volume, tmp_path):
    import numpy as np
    import zarr

    from upsample_cli.chunked import ChunkedResize
    from upsample_cli.pipeline import Settings
    from upsample_cli.sizes import parse_scale

    _, client = cluster
    settings = Settings(parse_scale("2,1.5,1.7"), mode="bicubic")
    ChunkedResize(settings, memory=150_000, progress=False)(str(volume / "in.zarr"), str(tmp_path / "local.zarr"))
    with distributed.get_task_stream(client) as stream:
        ChunkedResize(settings, memory=150_000, progress=False, client=client)(str(volume / "in.zarr"),
                                                                               str(tmp_path / "dask.zarr"))
    blocks = [t for t in stream.data if t["key"].startswith("upsample-block-")]
    assert len(blocks) > 2 and len({t["worker"] for t in blocks}) == 2
    local, ours = zarr.open_array(str(tmp_path / "local.zarr")), zarr.open_array(str(tmp_path / "dask.zarr"))
    assert ours.chunks == local.chunks and ours.shape == (30, 33, 52)
    assert np.array_equal(ours[:], local[:])
    assert leftovers(tmp_path) == []


def test_a_pyramid_on_the_cluster_equals_the_local_one(cluster, volume, tmp_path):
    import numpy as np
    import zarr

    address, _ = cluster
    common = ["--levels", "3", "--mode", "trilinear", "--memory", "100000"]
    local = run("pyramid", volume / "in.tif", tmp_path / "local.ome.zarr", *common)
    ours = run("pyramid", volume / "in.tif", tmp_path / "dask.ome.zarr", *common, "--scheduler", address)
    assert (local.exit_code, ours.exit_code) == (0, 0), ours.stderr
    a, b = zarr.open_group(str(tmp_path / "local.ome.zarr")), zarr.open_group(str(tmp_path / "dask.ome.zarr"))
    assert dict(a.attrs) == dict(b.attrs)
    for n in "012":
        assert b[n].shape == a[n].shape and np.array_equal(b[n][:], a[n][:]), n
    assert b["2"].shape == (4, 5, 6)
    # a Zarr input, the address from the environment
    common = ["--scale", "0.5", "--mode", "area", "--memory", "100000"]
    local = run("resize", volume / "in.zarr", tmp_path / "local.zarr", *common, env={"DASK_SCHEDULER_ADDRESS": ""})
    ours = run("resize", volume / "in.zarr", tmp_path / "dask.zarr", *common, env={"DASK_SCHEDULER_ADDRESS": address})
    assert (local.exit_code, ours.exit_code) == (0, 0), ours.stderr
    a, b = zarr.open_array(str(tmp_path / "local.zarr")), zarr.open_array(str(tmp_path / "dask.zarr"))
    assert b.shape == (9, 11, 13) and np.array_equal(b[:], a[:])


def test_a_failing_block_fails_the_file_and_leaves_no_store(cluster, volume, tmp_path):
    import shutil

    address, client = cluster
    src = tmp_path / "bad.zarr"
    shutil.copytree(volume / "in.zarr", src)
    chunk = next(p for p in (src / "c" / "2" / "1" / "1", src / "2.1.1") if p.exists())  # (format 3, format 2)
    chunk.write_bytes(b"not a chunk" * 8)
    out = tmp_path / "out.zarr"
    result = run("resize", src, out, "--scale", "2", "--memory", "150000", "--scheduler", address)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {src}: ") and "decompression" in result.stderr
    assert result.stderr.count("\n") == 1
    idle(client)
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("out, message", [
    ("out.tif", "a TIFF is written page after page by one process; write Zarr on a cluster"),
    ("out.png", "--scheduler writes the blocks of a Zarr volume; give OUT ending .zarr"),
])
def test_a_cluster_writes_zarr_only(volume, tmp_path, out, message):
    result = run("resize", volume / "in.zarr", tmp_path / out, "--scale", "2",
                 "--scheduler", f"tcp://127.0.0.1:{closed_port()}")
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / out}: {message}\n"
    # an address from the environment serves Zarr outputs only; others are written here
    result = run("resize", volume / "in.tif", tmp_path / "o.tif", "--scale", "0.5",
                 env={"DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{closed_port()}"})
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("chunks_written", [0, 4], ids=["as the store is made", "blocks being written"])
def test_ctrl_c_stops_a_volume_s_blocks_and_leaves_no_store(cluster, tmp_path, chunks_written):
    import numpy as np
    import zarr

    address, client = cluster
    src, out = tmp_path / "in.zarr", tmp_path / "out.zarr"
    data = (np.random.default_rng(5).random((32, 128, 128)) * 60000).astype(np.uint16)
    zarr.open_array(str(src), mode="w", shape=data.shape, chunks=(8, 32, 32), dtype=data.dtype)[:] = data
    # x2 lanczos under a small --memory: 128 blocks, still being written when the signal lands
    args = [sys.executable, "-c", DEFAULT_SIGINT, "resize", str(src), str(out), "--scale", "2", "--mode", "lanczos",
            "--memory", "1MB", "--scheduler", address]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def written():  # files in the hidden folder the store is built in (None before it exists)
        folders = leftovers(tmp_path)
        return sum(len(files) for f in folders for _, _, files in os.walk(tmp_path / f)) if folders else None

    deadline = time.monotonic() + 60
    while (written() or -1) < chunks_written and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert stderr == f"error: {out}: interrupted; nothing was written\n"
    idle(client)  # stopped blocks write nothing later
    time.sleep(0.2)  # (nor does a write the client's Ctrl-C left running)
    assert not out.exists() and leftovers(tmp_path) == []
