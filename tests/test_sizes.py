"""The size syntax: parsing, and what a target means for an image or a stack (width first)."""

import pytest

from upsample_cli.sizes import Scale, Size, parse_scale, parse_size, resolve


@pytest.mark.parametrize(
    "text, factors",
    [("2", (2.0,)), ("0.5", (0.5,)), ("1.5,2", (1.5, 2.0)), (" 2 , 2 , 4 ", (2.0, 2.0, 4.0)), ("50%", (0.5,)),
     ("250%,100%", (2.5, 1.0)), ("1e1", (10.0,)), (".5", (0.5,))],
)
def test_parse_scale(text, factors):
    assert parse_scale(text) == Scale(factors)


@pytest.mark.parametrize("text", ["", "abc", "2,", "1,2,3,4", "0", "-1", "nan", "inf", "2x", "%", "1,,2"])
def test_parse_scale_refuses(text):
    with pytest.raises(ValueError):
        parse_scale(text)


@pytest.mark.parametrize(
    "text, sizes",
    [("800x600", (800, 600)), ("800X600", (800, 600)), ("800x", (800, None)), ("x600", (None, 600)),
     ("64x64x32", (64, 64, 32)), ("128xx", (128, None, None)), ("xx40", (None, None, 40))],
)
def test_parse_size(text, sizes):
    assert parse_size(text) == Size(sizes)


def test_percentage_size_is_a_scale():
    assert parse_size("50%") == Scale((0.5,))
    assert parse_size("150 %") == Scale((1.5,))


@pytest.mark.parametrize(
    "text", ["800", "x", "xx", "0x10", "800x600x", "-5x10", "axb", "1x2x3x4", "50", "abc%", "8.5x2"]
)
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize(
    "target, in_sizes, want",
    [
        (Scale((2.0,)), (256, 192), ("scale", (2.0, 2.0))),
        (Scale((1.5, 2.0)), (256, 192), ("scale", (1.5, 2.0))),
        (Scale((2.0,)), (64, 64, 24), ("scale", (2.0, 2.0, 2.0))),
        (Scale((2.0, 3.0)), (64, 64, 24), ("scale", (2.0, 3.0, 1.0))),
        (Size((800, None)), (256, 192), ("size", (800, 600))),
        (Size((None, 96)), (256, 192), ("size", (128, 96))),
        (Size((None, 1)), (256, 192), ("size", (1, 1))),
        (Size((32, 40)), (64, 64, 24), ("size", (32, 40, 24))),
        (Size((32, None)), (64, 48, 24), ("size", (32, 24, 24))),
        (Size((32, None, None)), (64, 48, 24), ("size", (32, 24, 12))),
        (Size((None, None, 48)), (64, 48, 24), ("size", (128, 96, 48))),
    ],
)
def test_resolve(target, in_sizes, want):
    assert resolve(target, in_sizes) == want


def test_one_factor_can_keep_the_depth():
    assert resolve(Scale((2.0,)), (64, 64, 24), keep_depth_with_one_factor=True) == ("scale", (2.0, 2.0, 1.0))


@pytest.mark.parametrize("target", [Scale((1.0, 2.0, 3.0)), Size((10, 10, 10))])
def test_three_values_on_an_image(target):
    with pytest.raises(ValueError, match="2-D image"):
        resolve(target, (256, 192))
