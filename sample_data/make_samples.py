"""Make the sample files in this folder (deterministic; numpy, Pillow and tifffile only).

    python sample_data/make_samples.py

photo.png       256x192 RGB uint8: sky and ground gradients, a sun, hills, a house, mild noise
logo_rgba.png   128x128 RGBA uint8: an antialiased ring and a bar on a transparent background
depth16.png     160x120 16-bit grayscale: a depth map (millimetres) of a tilted floor and spheres
stack.tif       24x64x64 (Z, Y, X) uint16: Gaussian blobs plus a smooth background and noise
"""

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

HERE = Path(__file__).resolve().parent


def photo(width=256, height=192, seed=1):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    horizon = 0.55 * height + 10 * np.sin(x / width * 2 * np.pi)
    t = np.clip(y / horizon, 0, 1)[..., None]
    sky = (1 - t) * np.array([70, 120, 210]) + t * np.array([200, 220, 245])
    g = np.clip((y - horizon) / (height - horizon), 0, 1)[..., None]
    ground = (1 - g) * np.array([90, 150, 60]) + g * np.array([40, 90, 30])
    img = np.where((y < horizon)[..., None], sky, ground)
    # A soft sun with a hard disc.
    r = np.hypot(x - 0.78 * width, y - 0.22 * height)
    img += np.exp(-((r / 30) ** 2))[..., None] * np.array([60, 40, 0])
    img = np.where((r < 14)[..., None], np.array([255, 235, 140]), img)
    # A house: wall, roof, window; hard edges and a diagonal.
    wall = (x > 40) & (x < 110) & (y > 100) & (y < 160)
    roof = (y <= 100) & (y > 100 - (35 - np.abs(x - 75))) & (np.abs(x - 75) < 40)
    window = (x > 55) & (x < 75) & (y > 115) & (y < 135)
    img = np.where(wall[..., None], np.array([180, 60, 50]), img)
    img = np.where(roof[..., None], np.array([90, 40, 30]), img)
    img = np.where(window[..., None], np.array([250, 250, 220]), img)
    # Fine stripes (aliasing shows on downscale) and mild sensor noise.
    fence = (y > 150) & (y < 175) & (x > 130) & ((x // 3) % 2 == 0)
    img = np.where(fence[..., None], np.array([230, 230, 230]), img)
    img += rng.normal(0, 2.0, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def logo(size=128, supersample=4):
    n = size * supersample
    y, x = (np.mgrid[0:n, 0:n] + 0.5) / supersample
    c = size / 2
    r = np.hypot(x - c, y - c)
    ring = (r > 0.30 * size) & (r < 0.42 * size)
    bar = (np.abs(x - c) < 0.08 * size) & (np.abs(y - c) < 0.25 * size)
    coverage = lambda m: m.reshape(size, supersample, size, supersample).mean(axis=(1, 3))  # noqa: E731
    ring_a, bar_a = coverage(ring), coverage(bar)
    alpha = np.maximum(ring_a, bar_a)
    colour = np.where((bar_a > ring_a)[..., None], np.array([240, 160, 20]), np.array([30, 90, 200]))
    rgba = np.dstack([colour * (alpha[..., None] > 0), alpha * 255])
    return np.clip(np.rint(rgba), 0, 255).astype(np.uint8)


def depth(width=160, height=120):
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    d = 3000 + 40 * (height - y) + 5 * x  # tilted floor, millimetres
    for cx, cy, radius, z in ((50, 70, 30, 2200), (115, 50, 22, 1500), (130, 95, 12, 900)):
        h2 = radius**2 - (x - cx) ** 2 - (y - cy) ** 2
        sphere = z - 8 * np.sqrt(np.maximum(h2, 0))
        d = np.where(h2 > 0, np.minimum(d, sphere), d)
    d[:6, :20] = 0  # invalid pixels, as depth sensors report them
    return np.clip(np.rint(d * 4), 0, 65535).astype(np.uint16)  # quarter-millimetre units


def stack(depth=24, height=64, width=64, seed=3):
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[0:depth, 0:height, 0:width].astype(np.float64)
    vol = 400 + 200 * (x / width)
    for _ in range(12):
        cz, cy, cx = rng.uniform([2, 6, 6], [depth - 2, height - 6, width - 6])
        sigma, peak = rng.uniform(2.0, 5.0), rng.uniform(2000, 30000)
        vol += peak * np.exp(-((z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma**2))
    vol += rng.normal(0, 30, vol.shape)
    return np.clip(np.rint(vol), 0, 65535).astype(np.uint16)


def main():
    Image.fromarray(photo()).save(HERE / "photo.png", optimize=True)
    Image.fromarray(logo()).save(HERE / "logo_rgba.png", optimize=True)
    d = depth()
    Image.frombytes("I;16", d.shape[::-1], d.astype("<u2").tobytes()).save(HERE / "depth16.png", optimize=True)
    tifffile.imwrite(
        HERE / "stack.tif", stack(), photometric="minisblack", compression="zlib", metadata={"axes": "ZYX"}
    )
    for name in ("photo.png", "logo_rgba.png", "depth16.png", "stack.tif"):
        print(f"{name:14} {(HERE / name).stat().st_size:7d} bytes")


if __name__ == "__main__":
    main()
