"""``upsample compare``: the scores on images with known answers, the sheet's tiles, the reports, the errors."""

import csv
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image as PILImage

from upsample_cli import compare, interpolate, registry, sheet
from upsample_cli.cli import main
from upsample_cli.compare_options import COMMON_NAMES, DEFAULT_MODES, Crop, Method, methods
from upsample_cli.image import Image

TORCH_MODES = methods(DEFAULT_MODES, ("torch",))


def image(array, axes=None):
    axes = axes or ("YX" if array.ndim == 2 else "YXS")
    return Image.of(array, axes, "PNG")


def scores(comparison):
    return {s.method.name: s for s in comparison.scores}


def band_limited(h=64, w=64):
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    wave = np.sin(2 * np.pi * 2 * x) * np.cos(2 * np.pi * 3 * y) + 0.5 * np.sin(2 * np.pi * (x + 2 * y))
    return (127.5 + 80 * wave).round().astype(np.uint8)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# --- known answers ---------------------------------------------------------------------------


def test_on_a_band_limited_image_bicubic_and_lanczos_beat_nearest():
    c = compare.compare_image(image(band_limited()), compare.CompareSettings(TORCH_MODES, 4), with_ssim=False)
    s = scores(c)
    for mode in ("bicubic", "lanczos"):
        assert s[mode].psnr > s["nearest"].psnr + 3
        assert s[mode].psnr > s["bilinear"].psnr
    assert compare.summarize([c])[0].method.name in ("bicubic", "lanczos")


def test_a_checkerboard_at_nyquist_is_lost_alike_by_every_mode():
    board = (np.indices((32, 32)).sum(axis=0) % 2 * 255).astype(np.uint8)
    settings = compare.CompareSettings(methods(DEFAULT_MODES, ("torch", "pillow")), 2, "area")
    c = compare.compare_image(image(board), settings, with_ssim=False)
    assert np.all(c.low.array == 128)  # each 2 x 2 block averages to 127.5, rounded half up
    expected = 10 * math.log10(255**2 / ((128**2 + 127**2) / 2))
    for s in c.scores:
        assert s.psnr == pytest.approx(expected, abs=1e-9)
        assert s.ringing == 0
    assert all(a.max_diff == 0 for a in c.agreements)


def test_a_constant_image_comes_back_exactly_from_every_mode_and_convention():
    flat = np.full((24, 32, 3), 77, np.uint8)
    settings = compare.CompareSettings(methods(DEFAULT_MODES, ("torch", "tf", "pillow", "opencv")), 4)
    c = compare.compare_image(image(flat), settings, with_ssim=False)
    assert len(c.scores) == 20
    for s in c.scores:
        assert (s.psnr, s.mse, s.ringing, s.ringing_max) == (math.inf, 0.0, 0.0, 0.0)
    lines = compare.table(compare.summarize([c]), show_ssim=False)
    assert all("exact" in line for line in lines[1:-1])
    assert compare.report([c], settings)["files"][0]["results"][0]["psnr"] is None


def test_ringing_is_the_overshoot_beyond_the_local_range_of_the_input():
    low = np.array([[0.0, 10.0]])
    result = np.array([[-1.0, 5.0, 5.0, 12.0]])
    assert compare.ringing(result, low, [1]) == (0.75, 2.0)
    edge = np.zeros((32, 32), np.uint8)
    edge[:, 16:] = 200
    s = scores(compare.compare_image(image(edge), compare.CompareSettings(TORCH_MODES, 4), with_ssim=False))
    for mode in ("nearest", "bilinear", "area"):
        assert s[mode].ringing_max == 0
    assert s["bicubic"].ringing > 0 and s["lanczos"].ringing_max > 0


def test_agreement_names_the_largest_difference_and_its_place():
    x = np.zeros((4, 6, 3), np.uint8)
    y = x.copy()
    y[1, 5, 2] = 5
    a = compare.agreement("bicubic", "torch", "tf", x, y, {"X": 1, "Y": 0}, band=1)
    assert (a.max_diff, a.at, a.differing, a.border) == (5.0, (5, 1), 1 / 24, 1.0)
    assert a.mean_diff == pytest.approx(5 / 72)


def test_ssim_is_scikit_images_on_the_same_arrays():
    skimage_metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(1)
    gray = np.cumsum(rng.normal(size=(48, 40)), axis=1).astype(np.float32)
    c = compare.compare_image(image(gray), compare.CompareSettings(TORCH_MODES, 2))
    low = interpolate(gray[None, None], size=(24, 20), mode="bicubic", antialias=True)
    for s in c.scores:
        up = interpolate(low, size=(48, 40), mode=s.method.mode)[0, 0]
        np.testing.assert_array_equal(c.results[s.method], up)
        span = float(gray.max() - gray.min())
        assert s.ssim == skimage_metrics.structural_similarity(gray, up, data_range=span)
    rgb = np.stack([band_limited(40, 48), band_limited(40, 48)[::-1], band_limited(40, 48)[:, ::-1]], axis=2)
    c = compare.compare_image(image(rgb), compare.CompareSettings(TORCH_MODES[2:3], 2))
    s = c.scores[0]
    assert s.ssim == skimage_metrics.structural_similarity(rgb, c.results[s.method], data_range=255, channel_axis=2)


# --- the sheet -------------------------------------------------------------------------------


def tile(drawn, name):
    left, top, right, bottom = drawn.tiles[name]
    return np.asarray(drawn.image)[top:bottom, left:right]


def magnified(a, k):
    return np.repeat(np.repeat(a, k, axis=0), k, axis=1)


def test_the_sheet_shows_the_same_crop_of_every_result_magnified():
    rgb = np.random.default_rng(2).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    settings = compare.CompareSettings(methods(("nearest", "bicubic"), ("torch", "opencv")), 4)
    c = compare.compare_image(image(rgb), settings, with_ssim=False)
    drawn = sheet.draw(c, 4, "bicubic-aa", Crop(8, 4, 16, 12))
    k = drawn.magnification
    assert k == sheet.TILE // 16
    assert len(drawn.tiles) == 2 * 2 + 2 * len(settings.methods)  # IN and input per convention; result and diff
    column = max(16 * k, sheet.MIN_COLUMN) + sheet.PAD
    assert drawn.image.size[0] == sheet.PAD + 3 * column
    np.testing.assert_array_equal(tile(drawn, "original"), magnified(rgb[4:16, 8:24], k))
    np.testing.assert_array_equal(tile(drawn, "input"), magnified(c.low.array[1:4, 2:6].repeat(4, 0).repeat(4, 1), k))
    for m in settings.methods:
        np.testing.assert_array_equal(tile(drawn, m.label), magnified(c.results[m][4:16, 8:24], k))
        assert tile(drawn, "diff " + m.label).shape == (12 * k, 16 * k, 3)
    left = drawn.tiles[Method("bicubic", "opencv", "cubic").label]
    assert left[0] == sheet.PAD + 2 * column and left[1] > drawn.tiles["input"][1]  # the opencv row, 2nd mode


def test_the_sheet_of_an_exact_result_has_black_difference_maps_and_a_stack_three_views():
    flat = np.full((12, 16, 16), 900, np.uint16)
    c = compare.compare_image(image(flat, "ZYX"), compare.CompareSettings(TORCH_MODES[:2], 4), with_ssim=False)
    drawn = sheet.draw(c, 4, "bicubic-aa")
    k = drawn.magnification
    assert drawn.crop == Crop(0, 0, 16, 16)
    views = tile(drawn, "diff " + TORCH_MODES[1].label)
    assert views.shape == ((16 + sheet.GAP + 12) * k, (16 + sheet.GAP + 12) * k, 3)
    assert np.all(views[: 16 * k, : 16 * k] == 0)  # XY: no difference
    assert np.all(views[16 * k : (16 + sheet.GAP) * k] == 255)  # the gap between the views


# --- the command -----------------------------------------------------------------------------


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    PILImage.fromarray(np.stack([band_limited(48, 64)] * 3, axis=2)).save(path)
    return path


def test_json_and_csv_reports(photo, tmp_path):
    out = tmp_path / "r.json"
    result = run("compare", photo, "--scale", 2, "--modes", "bilinear,bicubic", "--conventions", "torch,pillow",
                 "--json", out, "--csv", tmp_path / "r.csv", "-o", tmp_path / "s.png")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert set(data) == {"settings", "files", "summary", "agreement", "failures", "notes"}
    assert data["settings"]["scale"] == 2 and data["settings"]["degrade"] == "bicubic-aa"
    assert data["settings"]["methods"][3] == {"mode": "bicubic", "convention": "pillow", "library_mode": "bicubic"}
    f, = data["files"]
    assert f["shape"] == [48, 64, 3] and f["low_shape"] == [24, 32, 3] and f["axes"] == "YXS"
    assert f["dtype"] == "uint8" and f["data_range"] == 255
    assert [set(r) for r in f["results"]] == [{"mode", "convention", "library_mode", "psnr", "mse", "ssim", "ringing",
                                               "ringing_max", "seconds"}] * 4
    assert all(isinstance(r["psnr"], float) and r["seconds"] > 0 for r in f["results"])
    assert [(a["mode"], a["a"], a["b"]) for a in f["agreement"]] == [("bilinear", "torch", "pillow"),
                                                                      ("bicubic", "torch", "pillow")]
    assert set(f["agreement"][1]) == {"mode", "a", "b", "max_abs_diff", "mean_abs_diff", "differing",
                                      "border_share", "at"}
    psnrs = [s["psnr_mean"] for s in data["summary"]]
    assert psnrs == sorted(psnrs, reverse=True) and data["summary"][0]["files"] == 1
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert [r["convention"] for r in rows] == ["torch", "pillow"] * 2
    assert float(rows[0]["psnr"]) == pytest.approx(f["results"][0]["psnr"])
    assert PILImage.open(tmp_path / "s.png").size[0] == sheet.PAD + 3 * (max(32 * 6, sheet.MIN_COLUMN) + sheet.PAD)


def test_the_table_is_sorted_and_names_the_winners(photo):
    result = run("compare", photo, "--scale", 4)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split()[:3] == ["rank", "mode", "convention"]
    psnrs = [float(line.split()[3]) for line in lines[2:7]]
    assert psnrs == sorted(psnrs, reverse=True)
    assert lines[7].startswith("best PSNR: " + lines[2].split()[1])


def test_a_folder_is_summarised_with_its_spread_and_bad_files_are_listed(photo, tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    PILImage.open(photo).save(folder / "a.png")
    PILImage.open(photo).transpose(PILImage.Transpose.ROTATE_90).save(folder / "b.png")
    (folder / "broken.png").write_bytes(b"not a png")
    result = run("compare", folder, "--modes", "nearest,bicubic", "--scale", 2, "--json", tmp_path / "r.json")
    assert result.exit_code == 1
    assert "2 files" in result.output and " ± " in result.output
    assert "error: " in result.output and "broken.png" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert len(data["files"]) == 2 and data["summary"][0]["files"] == 2
    assert data["failures"][0]["path"].endswith("broken.png")


@pytest.mark.parametrize("args, code, message", [
    (["--modes", "hamming"], 2, "--modes: torch has no mode 'hamming'"),
    (["--modes", "bicubic", "--conventions", "pillow,keras", "--modes", "box"], 2, "keras has no mode 'box'"),
    (["--crop", "60,0,16,16"], 2, "--crop 60,0,16,16 lies outside the 64x48 image"),
    (["--crop", "1,2,3"], 2, "is not a crop"),
    (["--conventions", "torch,caffe"], 2, "unknown convention 'caffe'"),
    (["--scale", "1"], 2, "--scale"),
])
def test_usage_errors_are_one_line(photo, tmp_path, args, code, message):
    result = run("compare", photo, "-o", tmp_path / "s.png", *args)
    assert result.exit_code == code
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_file_errors_are_one_line(tmp_path, photo):
    result = run("compare", tmp_path / "missing.png")
    assert result.exit_code == 1 and result.output.startswith("error: ") and "missing.png" in result.output
    result = run("compare", photo, tmp_path, "-o", tmp_path / "s.png")
    assert result.exit_code == 2 and "one file" in result.output
    np.save(tmp_path / "stack.npy", np.zeros((8, 8, 8), np.float32))
    result = run("compare", tmp_path / "stack.npy", "--conventions", "tf")
    assert result.exit_code == 2 and "only torch" in result.output


def test_every_common_name_is_a_mode_of_its_convention():
    for convention, names in COMMON_NAMES.items():
        assert set(names.values()) <= set(registry.convention(convention).modes)
    assert len(methods(DEFAULT_MODES, registry.NAMES)) == len(DEFAULT_MODES) * len(registry.NAMES)


def test_without_scikit_image_the_ssim_column_is_left_out_with_a_note(photo, monkeypatch):
    monkeypatch.setattr(compare, "ssim_available", lambda: False)
    result = run("compare", photo, "--modes", "nearest,bicubic")
    assert result.exit_code == 0, result.output
    assert "SSIM" not in result.output.splitlines()[1]
    assert result.output.splitlines()[-1] == f"note: {compare.SSIM_MISSING}"


def test_without_a_reference_only_ringing_and_time_are_shown(photo):
    result = run("compare", photo, "--degrade", "none", "--modes", "bilinear,lanczos")
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[1].split()
    assert header == ["rank", "mode", "convention", "ringing", "ms"]
    assert result.output.splitlines()[2].split()[1] == "bilinear"  # no overshoot: least ringing first
