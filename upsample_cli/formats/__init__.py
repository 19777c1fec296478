"""One module per file family: ``pillow`` (PNG, JPEG, BMP, WebP, GIF), ``tiff`` (tifffile), ``npy``.

Each offers ``read(path, *, axes, before_load, load)`` giving an :class:`upsample_cli.image.Image`
(``before_load`` sees the header before any pixel is decoded; ``load=False`` stops there) and a
``write`` to a temporary path. :mod:`upsample_cli.io` picks the module and moves the files.
"""
