"""Defaults shared by the command line and the file layer (importable without NumPy)."""

# Both pixel limits (the input as its header states it, and the output): 2**28 pixels, e.g.
# 16384 x 16384, or 512 x 512 x 1024 voxels. Channels are not counted.
MAX_PIXELS = 2**28
JPEG_QUALITY = 95
TIFF_COMPRESSIONS = ("deflate", "lzma", "none")
# PNG's zlib level: 1 writes fastest (OpenCV's default level); Pillow's 6 makes files ~20% smaller
# on smooth images and takes several times as long (benchmarks/bench_batch.py times the writes).
PNG_LEVEL = 1
