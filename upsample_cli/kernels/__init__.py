"""Backends that apply a taps table along one axis.

Every backend offers ``resample_axis(src, index, weight, out)``: ``src`` is ``(P, n_in, Q)``,
``out`` is ``(P, n_out, Q)``, both C-contiguous, and

    out[p, j, q] = sum_k weight[j, k] * src[p, index[j, k], q]

accumulated in ``weight.dtype``. An integer ``out`` receives the sum rounded half up and
clamped to its range; a float ``out`` receives it as is. Backends know nothing about modes.
"""
