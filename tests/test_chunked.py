"""Volumes resized block by block (Zarr and TIFF, ``upsample_cli.chunked``) equal the in-memory resize."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tifffile

zarr = pytest.importorskip("zarr")

from upsample_cli import chunked, volumes  # noqa: E402
from upsample_cli.image import Image  # noqa: E402
from upsample_cli.pipeline import Settings, resize_image  # noqa: E402
from upsample_cli.sizes import parse_scale  # noqa: E402

ZARR_3 = int(zarr.__version__.split(".")[0]) >= 3
FORMAT_2 = {"zarr_format": 2} if ZARR_3 else {}
ZARR3_NEEDED = "Zarr format 3 (and OME-Zarr 0.5) needs zarr 3: pip install 'zarr>=3'"
VOLUME = (np.random.default_rng(7).random((18, 22, 26)) * 60000).astype(np.uint16)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("volumes")
    z = zarr.open_array(str(d / "in.zarr"), mode="w", shape=VOLUME.shape, chunks=(5, 8, 8), dtype=VOLUME.dtype)
    z[:] = VOLUME
    tifffile.imwrite(d / "plain.tif", VOLUME, imagej=True, metadata={"axes": "ZYX", "spacing": 2.0, "unit": "um"},
                     resolution=(4.0, 4.0))
    tifffile.imwrite(d / "deflate.tif", VOLUME, compression="zlib")
    return d


def in_memory(settings):
    return resize_image(Image.of(VOLUME, "ZYX", "TIFF"), settings).array


def read_back(path):
    return zarr.open_array(str(path), mode="r")[:] if str(path).endswith(".zarr") else tifffile.imread(path)


@pytest.mark.parametrize("mode, scale, antialias", [
    ("trilinear", "2", False), ("area", "0.5", False), ("nearest", "1.5", False), ("nearest-exact", "0.6", False),
    ("bicubic", "0.7", False), ("trilinear", "0.45", True), ("bilinear", "1.3,1.6,1", False),
    ("lanczos", "0.6", True),
])
@pytest.mark.parametrize("src", ["in.zarr", "plain.tif", "deflate.tif"])
def test_chunked_equals_in_memory(inputs, tmp_path, mode, scale, antialias, src):
    settings = Settings(parse_scale(scale), mode=mode, antialias=antialias)
    expected = in_memory(settings)
    for dst in ("out.zarr", "out.tif"):
        chunked.ChunkedResize(settings, memory=150_000, progress=False)(str(inputs / src), str(tmp_path / dst))
        got = read_back(tmp_path / dst)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected), (src, dst)


@pytest.mark.parametrize("convention, mode", [("pillow", "bicubic"), ("opencv", "area"), ("tf", "lanczos3")])
def test_slice_conventions_go_slab_by_slab(inputs, tmp_path, convention, mode):
    settings = Settings(parse_scale("0.6,0.7,1"), mode=mode, convention=convention)
    expected = in_memory(settings)
    chunked.ChunkedResize(settings, memory=100_000, progress=False)(str(inputs / "in.zarr"), str(tmp_path / "o.zarr"))
    assert np.array_equal(read_back(tmp_path / "o.zarr"), expected)


def test_blocks_stay_within_the_memory_bound(inputs, tmp_path):
    """Every region read is far smaller than the volume, and the blocks' working set fits the bound."""
    memory = 40_000  # the output alone is 164 kB, the input 21 kB
    source = volumes.open_source(str(inputs / "in.zarr"))
    reads = []
    original = source.read
    source.read = lambda slices: reads.append(original(slices)) or reads[-1]
    volume = chunked.Volume(source, Settings(parse_scale("2"), mode="trilinear"))
    chunked.write_zarr(volume, str(tmp_path / "o.zarr"), memory, progress=False)
    assert len(reads) > 8
    assert max(r.nbytes for r in reads) < VOLUME.nbytes / 4
    assert volume.working_set(volume.block_shape(memory, outer_first=False)) <= memory
    assert np.array_equal(read_back(tmp_path / "o.zarr"), in_memory(Settings(parse_scale("2"), mode="trilinear")))


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "upsample_cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_cli_resize_zarr_and_memory_errors(inputs, tmp_path):
    r = run_cli("resize", inputs / "plain.tif", tmp_path / "o.zarr", "--scale", "0.5", "--mode", "area")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(read_back(tmp_path / "o.zarr"), in_memory(Settings(parse_scale("0.5"), mode="area")))
    r = run_cli("resize", inputs / "plain.tif", tmp_path / "o.tif", "--scale", "2", "--memory", "1KB")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "--memory" in r.stderr
    assert not (tmp_path / "o.tif").exists()
    r = run_cli("resize", inputs / "plain.tif", tmp_path / "o.tif", "--scale", "2", "--memory", "lots")
    assert r.returncode == 2 and "amount of memory" in r.stderr


def test_info_reads_a_zarr_store_and_refuses_other_folders(inputs, tmp_path):
    r = run_cli("info", inputs / "in.zarr")
    assert r.returncode == 0, r.stderr
    assert "format:  ZARR" in r.stdout and "shape:   18 x 22 x 26" in r.stdout and "axes:    ZYX" in r.stdout
    (tmp_path / "photos").mkdir()
    r = run_cli("info", tmp_path / "photos")
    assert r.returncode == 2 and r.stderr.strip().endswith("a folder that is not a Zarr store; give a file")


def test_missing_zarr_names_the_extra(inputs, tmp_path):
    code = ("import sys; sys.modules['zarr'] = None; from upsample_cli.cli import main; "
            f"main(['resize', {str(inputs / 'plain.tif')!r}, {str(tmp_path / 'o.zarr')!r}, '--scale', '2'])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "pip install zarr" in r.stderr
    assert not (tmp_path / "o.zarr").exists()


def test_a_format_3_store_needs_zarr_3(tmp_path):
    """zarr 3 reads a Zarr format 3 store; zarr 2 refuses it in one line that names the upgrade."""
    src = tmp_path / "v3.zarr"
    src.mkdir()
    (src / "zarr.json").write_text(json.dumps({  # an array of 4 x 5 x 6 zeros (no chunk written)
        "zarr_format": 3, "node_type": "array", "shape": [4, 5, 6], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 5, 6]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}}, "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}], "attributes": {}}))
    r = run_cli("resize", src, tmp_path / "out.zarr", "--scale", "2")
    if ZARR_3:
        assert r.returncode == 0, r.stderr
        assert np.array_equal(read_back(tmp_path / "out.zarr"), np.zeros((8, 10, 12), np.uint8))
    else:
        assert (r.returncode, r.stderr) == (1, f"error: {src}: {ZARR3_NEEDED}\n")
        assert os.listdir(tmp_path) == ["v3.zarr"]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_pyramid_round_trip(inputs, tmp_path, version):
    out = tmp_path / "p.ome.zarr"
    r = run_cli("pyramid", inputs / "plain.tif", out, "--levels", "3", "--ngff", version)
    if version == "0.5" and not ZARR_3:  # (Zarr format 3: refused by zarr 2, before anything is written)
        assert (r.returncode, r.stderr) == (1, f"error: {out}: {ZARR3_NEEDED}\n")
        assert os.listdir(tmp_path) == []
        return
    assert r.returncode == 0, r.stderr
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]
    source = volumes.open_source(str(out))
    assert source.header.axes == "ZYX" and source.ngff["version"] == version
    spacing = source.header.metadata.spacing
    assert spacing["Z"] == (2.0, "micrometer") and spacing["Y"][0] == spacing["X"][0] == pytest.approx(0.25)
    group = zarr.open_group(str(out), mode="r")
    attrs = dict(group.attrs)
    multiscale = (attrs["ome"] if version == "0.5" else attrs)["multiscales"][0]
    assert multiscale["type"] == "area" and multiscale["metadata"]["kwargs"]["scale_factor"] == 0.5
    scales = [d["coordinateTransformations"][0]["scale"] for d in multiscale["datasets"]]
    assert scales[1] == [4.0, 0.5, 0.5]
    level = VOLUME
    for n in range(3):
        assert np.array_equal(group[str(n)][:], level)
        level = resize_image(Image.of(level, "ZYX", "TIFF"), Settings(parse_scale("0.5"), mode="area")).array


def test_ome_zarr_resize_keeps_channels_and_scales_spacing(tmp_path):
    data = (np.arange(2 * 6 * 10 * 12) % 251).astype(np.uint8).reshape(2, 6, 10, 12)
    src = tmp_path / "in.ome.zarr"
    group = zarr.open_group(str(src), mode="w", **FORMAT_2)
    group.attrs.update({"multiscales": [{"version": "0.4", "name": "cells", "axes": [
        {"name": "c", "type": "channel"}, {"name": "z", "type": "space", "unit": "micrometer"},
        {"name": "y", "type": "space", "unit": "micrometer"}, {"name": "x", "type": "space", "unit": "micrometer"}],
        "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 3.0, 0.5, 0.5]}]}]}],
        "omero": {"channels": [{"label": "dapi"}, {"label": "gfp"}]}})
    zarr.open_array(str(src / "0"), mode="w", shape=data.shape, chunks=(1, 3, 5, 6), dtype=data.dtype,
                    **FORMAT_2)[:] = data
    dst = tmp_path / "out.ome.zarr"
    r = run_cli("resize", src, dst, "--scale", "2", "--mode", "nearest")
    assert r.returncode == 0, r.stderr
    attrs = json.loads((dst / ".zattrs").read_text())
    assert attrs["omero"] == {"channels": [{"label": "dapi"}, {"label": "gfp"}]}
    multiscale = attrs["multiscales"][0]
    assert multiscale["name"] == "cells" and [a["name"] for a in multiscale["axes"]] == ["c", "z", "y", "x"]
    assert multiscale["datasets"][0]["coordinateTransformations"][0]["scale"] == [1.0, 1.5, 0.25, 0.25]
    got = zarr.open_array(str(dst / "0"), mode="r")[:]
    assert np.array_equal(got, data.repeat(2, 1).repeat(2, 2).repeat(2, 3))


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_ome_zarr_package_reads_our_pyramid(inputs, tmp_path, version):
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader
    from ome_zarr_models.v04 import Image as Image04
    from ome_zarr_models.v05 import Image as Image05

    out = tmp_path / "p.ome.zarr"
    r = run_cli("pyramid", inputs / "plain.tif", out, "--levels", "2", "--ngff", version)
    assert r.returncode == 0, r.stderr
    node = list(Reader(parse_url(str(out)))())[0]
    assert [tuple(a.shape) for a in node.data] == [(18, 22, 26), (9, 11, 13)]
    assert np.array_equal(np.asarray(node.data[0]), VOLUME)
    assert [(a["name"], a["unit"]) for a in node.metadata["axes"]] == [(a, "micrometer") for a in "zyx"]
    scales = [t[0]["scale"] for t in node.metadata["coordinateTransformations"]]
    assert scales == [[2.0, 0.25, 0.25], [4.0, 0.5, 0.5]]
    # the schema of the version written (ome-zarr-models validates the attributes and the arrays)
    (Image04 if version == "0.4" else Image05).from_zarr(zarr.open_group(str(out), mode="r"))


# Runs the command line argv[3:] under an address-space limit of the process's size once everything
# is loaded (Numba, threads, Zarr's event loop on the store argv[2]) plus argv[1] bytes.
CAPPED = r"""
import resource, sys, threading
threading.stack_size(1 << 20)  # (new threads then reserve little of the limit)
import numpy as np
import zarr
from upsample_cli import interpolate
from upsample_cli.cli import main
from upsample_cli.kernels import cpu
interpolate(np.zeros((1, 1, 64, 64, 64), np.uint16), scale_factor=2, mode="trilinear")
cpu._pool()
zarr.open_array(sys.argv[2], mode="r")[:1, :1, :1]
with open("/proc/self/status") as f:
    size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[1]), resource.RLIM_INFINITY))
main(sys.argv[3:], prog_name="upsample")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_volume_far_larger_than_the_memory_cap_is_resized_block_by_block(tmp_path):
    # 64 x 160 x 160 uint16 (3 MB) x2 trilinear: 26 MB out. Under a cap of 20 MB beyond the
    # loaded process, the whole output cannot be held: only blocks fit.
    volume = (np.random.default_rng(3).random((64, 160, 160)) * 60000).astype(np.uint16)
    src = tmp_path / "in.zarr"
    zarr.open_array(str(src), mode="w", shape=volume.shape, chunks=(8, 32, 32), dtype=volume.dtype)[:] = volume
    expected = resize_image(Image.of(volume, "ZYX", "TIFF"), Settings(parse_scale("2"), mode="trilinear")).array
    cap = str(20 << 20)

    def capped(*args):
        return subprocess.run([sys.executable, "-c", CAPPED, cap, src, "resize", *map(str, args)],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "MALLOC_ARENA_MAX": "1"})  # (threads share one heap)

    r = capped(src, tmp_path / "o.zarr", "--scale", "2", "--mode", "trilinear", "--memory", "3MB")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(read_back(tmp_path / "o.zarr"), expected)
    r = capped(src, tmp_path / "o.tif", "--scale", "2", "--mode", "trilinear", "--memory", "3MB")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(read_back(tmp_path / "o.tif"), expected)
    # The same resize in memory does not fit under the cap.
    np.save(tmp_path / "in.npy", volume)
    r = capped(tmp_path / "in.npy", tmp_path / "o.npy", "--scale", "2", "--mode", "trilinear", "--axes", "ZYX")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and not (tmp_path / "o.npy").exists(), r.stderr
