"""Resampling to a physical voxel size (``--spacing``, ``--isotropic``): torch's numbers, the
spacing read from ImageJ, OME-TIFF and OME-Zarr and written back, and the one-line errors."""

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

from upsample_cli import interpolate, io, volumes
from upsample_cli.cli import main
from upsample_cli.spacing import physical_spacing

GOLDEN = np.load(Path(__file__).parent / "golden" / "spacing.npz")
CASES = json.loads(str(GOLDEN["cases"]))
VOLUME = np.random.default_rng(5).random((5, 6, 7)).astype(np.float32)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def load(path):
    """The pixels and metadata of a file or a Zarr store, as this package reads them."""
    if str(path).endswith(".zarr"):
        source = volumes.open_source(str(path))
        return source.read([slice(None)] * len(source.header.shape)), source.header.metadata
    image = io.read(str(path))
    return image.array, image.metadata


def spacing_of(path):
    return {a: s for a, (s, _) in physical_spacing(load(path)[1]).items()}


def imagej(path, data, z=2.0, xy=0.5, unit="um"):
    tifffile.imwrite(path, data, imagej=True, metadata={"axes": "ZYX", "spacing": z, "unit": unit},
                     resolution=(1 / xy, 1 / xy))
    return path


def ome(path, data, axes="ZYX", **sizes):
    tifffile.imwrite(path, data, ome=True, metadata={"axes": axes, **sizes})
    return path


@pytest.mark.parametrize("k", range(len(CASES)))
def test_interpolate_with_scales_is_torch(k):
    c = CASES[k]
    x, expected = GOLDEN[f"{k}/x"], GOLDEN[f"{k}/y"]
    corners = {"align_corners": True} if c["align_corners"] else {}
    got = interpolate(x, size=c["size"], scales=c["scales"], mode=c["mode"], antialias=c["antialias"], **corners)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if x.dtype == np.uint8:
        assert np.array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6)


def test_rounding_keeps_the_sample_a_ratio_would_lose():
    c = CASES[6]  # 0.3 / 0.1 is 2.9999999999999996: floor would give 29 rows, not 30
    assert c["spacing_in"][0] / c["spacing_out"][0] < 3 and c["size"][0] == 30


@pytest.mark.parametrize("dst", ["out.tif", "out.ome.zarr"])
def test_file_resample_is_torch_and_records_the_spacing(tmp_path, dst):
    if dst.endswith(".zarr"):
        pytest.importorskip("zarr")
    c = CASES[0]  # trilinear, (2, 0.5, 0.5) -> (0.7, 0.3, 0.35)
    src = imagej(tmp_path / "in.tif", GOLDEN["0/x"][0, 0])
    r = run("resize", src, tmp_path / dst, "--spacing", ",".join(map(str, c["spacing_out"])), "--mode", "trilinear")
    assert r.exit_code == 0, r.output
    np.testing.assert_allclose(load(tmp_path / dst)[0], GOLDEN["0/y"][0, 0], rtol=0, atol=2e-6)
    assert spacing_of(tmp_path / dst) == pytest.approx(dict(zip("ZYX", c["spacing_out"])), rel=1e-9)


def test_ome_tiff_in_two_dimensions_and_units_converted(tmp_path):
    c = CASES[6]  # bicubic, (0.3, 0.25) -> (0.1, 0.1)
    src = ome(tmp_path / "in.ome.tif", GOLDEN["6/x"][0, 0], "YX", PhysicalSizeY=300.0, PhysicalSizeYUnit="nm",
              PhysicalSizeX=0.25, PhysicalSizeXUnit="µm")
    r = run("resize", src, tmp_path / "out.ome.tif", "--spacing", "0.1,0.1", "--mode", "bicubic")
    assert r.exit_code == 0, r.output
    out = io.read(str(tmp_path / "out.ome.tif"))
    np.testing.assert_allclose(out.array, GOLDEN["6/y"][0, 0], rtol=0, atol=1e-4)  # (300 nm as 0.3 µm: rounded)
    assert out.shape == tuple(c["size"])
    stated = physical_spacing(out.metadata)
    assert stated["Y"][0] == pytest.approx(100.0) and stated["Y"][1] == "nm"
    assert stated["X"] == (pytest.approx(0.1), "µm")


def test_isotropic_takes_the_finest_spacing(tmp_path):
    src = ome(tmp_path / "in.ome.tif", VOLUME, PhysicalSizeZ=1.5, PhysicalSizeY=0.5, PhysicalSizeX=0.75)
    r = run("resize", src, tmp_path / "out.ome.tif", "--isotropic", "--mode", "nearest")
    assert r.exit_code == 0, r.output
    out = io.read(str(tmp_path / "out.ome.tif"))
    assert out.shape == (15, 6, 11)  # 5 * 3, 6 * 1, floor(7 * 1.5 + 0.5)
    assert spacing_of(tmp_path / "out.ome.tif") == {"Z": 0.5, "Y": 0.5, "X": 0.5}
    expected = interpolate(VOLUME[None, None], size=(15, 6, 11), scales=(3.0, 1.0, 1.5), mode="nearest")[0, 0]
    assert np.array_equal(out.array, expected)


def test_two_values_keep_a_stacks_depth(tmp_path):
    src = imagej(tmp_path / "in.tif", VOLUME)
    r = run("resize", src, tmp_path / "out.tif", "--spacing", "0.25,0.25", "--mode", "bilinear")
    assert r.exit_code == 0, r.output
    assert tifffile.imread(tmp_path / "out.tif").shape == (5, 12, 14)
    assert spacing_of(tmp_path / "out.tif") == {"Z": 2.0, "Y": 0.25, "X": 0.25}


def test_align_corners_and_area_record_the_spacing_they_make(tmp_path):
    src = imagej(tmp_path / "in.tif", VOLUME)
    r = run("resize", src, tmp_path / "a.tif", "--spacing", "1,0.25,0.25", "--mode", "trilinear", "--align-corners")
    assert r.exit_code == 0, r.output
    assert spacing_of(tmp_path / "a.tif") == pytest.approx({"Z": 2.0 * 4 / 9, "Y": 0.5 * 5 / 11, "X": 0.5 * 6 / 13})
    r = run("resize", src, tmp_path / "b.tif", "--spacing", "4,1,1.1", "--mode", "area")
    assert r.exit_code == 0, r.output
    assert spacing_of(tmp_path / "b.tif") == pytest.approx({"Z": 2.0 * 5 / 3, "Y": 0.5 * 6 / 3, "X": 0.5 * 7 / 3})


def test_ome_zarr_in_and_out_block_by_block(tmp_path):
    pytest.importorskip("zarr")
    src = imagej(tmp_path / "in.tif", VOLUME)
    r = run("resize", src, tmp_path / "in.ome.zarr", "--scale", "1")
    assert r.exit_code == 0, r.output
    r = run("resize", tmp_path / "in.ome.zarr", tmp_path / "out.ome.zarr", "--isotropic", "--mode", "trilinear",
            "--memory", "20KB")
    assert r.exit_code == 0, r.output
    attrs = json.loads((tmp_path / "out.ome.zarr" / ".zattrs").read_text())["multiscales"][0]
    transforms = attrs["datasets"][0]["coordinateTransformations"]
    assert transforms[0]["scale"] == [0.5, 0.5, 0.5]
    assert transforms[1]["translation"] == pytest.approx([-0.75, 0, 0])  # (1/4 - 1)/2 input voxels of 2
    memory = run("resize", src, tmp_path / "mem.tif", "--isotropic", "--mode", "trilinear")
    assert memory.exit_code == 0, memory.output
    assert np.array_equal(load(tmp_path / "out.ome.zarr")[0], tifffile.imread(tmp_path / "mem.tif"))


def test_ome_zarr_package_reads_the_spacing(tmp_path):
    pytest.importorskip("zarr")
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    src = imagej(tmp_path / "in.tif", VOLUME)
    for version in ("0.4", "0.5"):
        out = tmp_path / f"out{version}.ome.zarr"
        assert run("pyramid", src, out, "--levels", "1", "--ngff", version).exit_code == 0
        r = run("resize", out, tmp_path / f"iso{version}.ome.zarr", "--spacing", "1,0.25,0.25", "--mode", "nearest")
        assert r.exit_code == 0, r.output
        node = next(iter(Reader(parse_url(str(tmp_path / f"iso{version}.ome.zarr")))()))
        assert node.data[0].shape == (10, 12, 14)
        transforms = node.metadata["coordinateTransformations"][0]
        assert transforms[0] == {"type": "scale", "scale": [1.0, 0.25, 0.25]}
        assert [a["unit"] for a in node.metadata["axes"]] == ["micrometer"] * 3


def test_batch_resamples_and_reports_a_file_without_spacing(tmp_path):
    (tmp_path / "src").mkdir()
    imagej(tmp_path / "src" / "a.tif", VOLUME)
    tifffile.imwrite(tmp_path / "src" / "b.tif", VOLUME)
    r = run("batch", tmp_path / "src", tmp_path / "dst", "--isotropic", "--jobs", "1", "-q")
    assert r.exit_code == 1
    assert "b.tif" in r.stderr and "no physical spacing" in r.stderr
    assert tifffile.imread(tmp_path / "dst" / "a.tif").shape == (20, 6, 7)
    assert not (tmp_path / "dst" / "b.tif").exists()


@pytest.mark.parametrize("make, args, code, message", [
    ("plain", ["--isotropic"], 1, "in.tif: --isotropic: the file states no physical spacing along Z, Y, X"),
    ("plain", ["--spacing", "1,1,1", "--memory", "1MB"], 1, "in.tif: --spacing 1,1,1: the file states no physical"),
    ("units", ["--spacing", "1,1,1"], 1, "units differ between axes (Z: pixel, Y: µm, X: µm) and cannot be"),
    ("imagej", ["--spacing", "0,1,1"], 2, "voxel sizes must be positive and finite"),
    ("imagej", ["--spacing", "1,x"], 2, "is not a spacing"),
    ("imagej", ["--spacing", "1,2,3,4"], 2, "is not a spacing"),
    ("imagej", ["--spacing", "1,1,1", "--size", "4x4"], 2, "--size and --spacing do not go together"),
    ("imagej", ["--spacing", "1,1", "--isotropic"], 2, "--spacing and --isotropic do not go together"),
    ("image", ["--spacing", "1,1,1"], 2, "a 2-D image takes Y,X"),
    ("imagej", ["--spacing", "1e-300,1,1"], 2, "the output would have 1e+301 samples along Z"),
    ("imagej", ["--spacing", "1e-7,1,1"], 2, "more than the limit of"),
])
def test_errors_are_one_line(tmp_path, make, args, code, message):
    src = tmp_path / "in.tif"
    if make == "plain":
        tifffile.imwrite(src, VOLUME)
    elif make == "units":
        ome(src, VOLUME, PhysicalSizeZ=1.0, PhysicalSizeZUnit="pixel", PhysicalSizeY=0.5, PhysicalSizeX=0.5)
    elif make == "image":
        tifffile.imwrite(src, VOLUME[0], imagej=True, resolution=(2.0, 2.0), metadata={"unit": "um"})
    else:
        imagej(src, VOLUME)
    before = src.read_bytes()
    r = run("resize", src, tmp_path / "out.tif", *args)
    assert r.exit_code == code, r.output
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1 and message in r.stderr, r.stderr
    assert not (tmp_path / "out.tif").exists() and src.read_bytes() == before


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "trilinear", "bicubic", "area"])
def test_scales_beside_floor_sizes_are_scale_factor(mode):
    factors = (1.7, 0.6, 2.3)
    sizes = [int(n * f) for n, f in zip(VOLUME.shape, factors)]
    x = VOLUME[None, None]
    expected = interpolate(x, scale_factor=factors, mode=mode)
    assert np.array_equal(interpolate(x, size=sizes, scales=factors, mode=mode), expected)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"scale_factor": 2, "scales": 2}, ValueError, "give size too"),
    ({"size": 4, "scales": (1, 2)}, ValueError, "same number of spatial dimensions"),
    ({"size": 4, "scales": 0}, ValueError, "positive and finite"),
    ({"size": 4, "scales": "2"}, TypeError, "numbers"),
])
def test_scales_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        interpolate(VOLUME[None, None, 0, 0], mode="linear", **kwargs)


@pytest.mark.parametrize("mode, args", [("bicubic", ["--antialias"]), ("lanczos", ["--antialias"]), ("area", []),
                                        ("nearest-exact", [])])
def test_block_by_block_equals_in_memory(tmp_path, mode, args):
    src = imagej(tmp_path / "in.tif", (VOLUME * 60000).astype(np.uint16))
    spacing = ["--spacing", "0.5,0.3,0.7"]  # (Z up, Y up, X down: 20 x 10 x 5, in blocks of planes)
    assert run("resize", src, tmp_path / "mem.tif", *spacing, "--mode", mode, *args).exit_code == 0
    r = run("resize", src, tmp_path / "blocks.tif", *spacing, "--mode", mode, *args, "--memory", "5KB")
    assert r.exit_code == 0, r.output
    assert np.array_equal(tifffile.imread(tmp_path / "blocks.tif"), tifffile.imread(tmp_path / "mem.tif"))
    assert spacing_of(tmp_path / "blocks.tif") == spacing_of(tmp_path / "mem.tif")


def test_an_array_without_metadata_fails_by_name(tmp_path):
    np.save(tmp_path / "v.npy", VOLUME)
    r = run("resize", tmp_path / "v.npy", tmp_path / "out.npy", "--isotropic")
    assert r.exit_code == 1 and "v.npy: --isotropic: the file states no physical spacing" in r.stderr
