"""Keras 3 layer spellings: ``UpSampling2D(size, data_format, interpolation)(x)`` runs
:func:`keras_upsampling2d`, ``UpSampling3D`` :func:`keras_upsampling3d`."""

from __future__ import annotations

from .tensorflow import keras_upsampling2d, keras_upsampling3d

__all__ = ["UpSampling2D", "UpSampling3D"]


class UpSampling2D:
    """``keras.layers.UpSampling2D(size=(2, 2), data_format=None, interpolation="nearest")``."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest"):
        self.size, self.data_format, self.interpolation = size, data_format, interpolation

    def __call__(self, inputs):
        return keras_upsampling2d(inputs, self.size, self.data_format, self.interpolation)


class UpSampling3D:
    """``keras.layers.UpSampling3D(size=(2, 2, 2), data_format=None)``."""

    def __init__(self, size=(2, 2, 2), data_format=None):
        self.size, self.data_format = size, data_format

    def __call__(self, inputs):
        return keras_upsampling3d(inputs, self.size, self.data_format)
