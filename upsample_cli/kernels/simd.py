"""Vector operations LLVM does not form from plain loops, written in LLVM IR (Numba intrinsics).

``gather_madd(acc, weight, line, index, e)`` does, for the ``lanes(acc)`` samples from ``e``:

    acc[e + i] += weight[e + i] * line[index[e + i]]

as one vector gather, multiply and add: the inner loop of a narrow pass (``loops.narrow``);
``gather_mul`` the same with ``=`` for ``+=`` (a sum's first term), and ``gather_fma`` the same
as ``gather_madd`` with the product added in one rounding (a fused multiply-add); ``fma(a, b, c)``
is ``a * b + c`` rounded once, for scalars of any float type (integers: computed exactly as they
are).
LLVM's vectoriser does not gather on its own on current x86 processors (its cost model rates
gathers slow), so a narrow pass would load its taps one by one; a gather of a whole vector is
about twice as fast there. On a processor without gathers LLVM turns the same IR into scalar
loads: the results are the same everywhere.

The arrays are C-contiguous and 1-D; ``acc``, ``weight`` and ``line`` share one dtype (int32,
float32 or float64), ``index`` is int32 or int64. The caller keeps ``e + lanes(acc)`` within the
arrays and every index within ``line`` (nothing is checked here). Products and sums are the
separate multiply and add of the scalar code (no fused multiply-add) in ``gather_madd``, and the
fused one in ``gather_fma`` and ``fma``, so the results are the same bits. ``llvm.fma`` rounds once
on every processor (in software where it has no such instruction).

Numba's cache of ``loops.py`` knows that file alone: a change here must be followed by a change
to ``loops.py`` (its new time stamp makes Numba compile the loops again).
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

# Bytes of one vector: 512 bits, as wide as x86's largest (LLVM splits it where they are narrower).
VECTOR_BYTES = 64


def lanes(a):
    """Samples of ``a``'s dtype in one vector (compiled from the overload below)."""


@overload(lanes, inline="always")
def _lanes_impl(a):
    n = VECTOR_BYTES // (a.dtype.bitwidth // 8)
    return lambda a: n


@intrinsic
def gather_madd(typingctx, acc, weight, line, index, e):
    return _gathering(acc, weight, line, index, e, add=True)


@intrinsic
def gather_fma(typingctx, acc, weight, line, index, e):
    return _gathering(acc, weight, line, index, e, add=True, fused=True)


@intrinsic
def fma(typingctx, a, b, c):
    if not (a == b == c and isinstance(a, (types.Float, types.Integer))):
        return None

    def codegen(context, builder, signature, args):
        x, y, z = args
        if isinstance(a, types.Integer):
            return builder.add(builder.mul(x, y), z)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(x.type, [x.type] * 3),
                                            f"llvm.fma.{x.type.intrinsic_name}")
        return builder.call(fn, [x, y, z])

    return a(a, b, c), codegen


@intrinsic
def gather_mul(typingctx, acc, weight, line, index, e):
    return _gathering(acc, weight, line, index, e, add=False)


def _gathering(acc, weight, line, index, e, add, fused=False):
    """The signature and code generator of ``gather_madd`` (``add``), ``gather_fma`` (``fused``) or
    ``gather_mul``."""
    arrays = (acc, weight, line, index)
    if not all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C" for a in arrays):
        return None
    if not (acc.dtype == weight.dtype == line.dtype and isinstance(index.dtype, types.Integer)):
        return None
    if not isinstance(e, types.Integer):
        return None
    n = VECTOR_BYTES // (acc.dtype.bitwidth // 8)
    floating = isinstance(acc.dtype, types.Float)

    def codegen(context, builder, signature, args):
        acc_a, weight_a, line_a, index_a, at = args
        at = context.cast(builder, at, signature.args[4], types.intp)
        acc_p, weight_p, line_p, index_p = (
            context.make_array(t)(context, builder, v).data for t, v in zip(signature.args[:4], args[:4]))
        sample = acc_p.type.pointee
        vector, offsets = ir.VectorType(sample, n), ir.VectorType(index_p.type.pointee, n)

        def load(pointer, vector_type):
            return builder.load(builder.bitcast(builder.gep(pointer, [at]), vector_type.as_pointer()), align=1)

        # Addresses of the taps, line + index * size, as integers (a vector of pointers).
        i64 = ir.IntType(64)
        wide = ir.VectorType(i64, n)
        offset = load(index_p, offsets)
        if offsets.element.width < 64:
            offset = builder.sext(offset, wide)
        size = context.get_abi_sizeof(sample)
        base = builder.insert_element(ir.Constant(wide, None), builder.ptrtoint(line_p, i64), ir.Constant(i64, 0))
        base = builder.shuffle_vector(base, ir.Constant(wide, None), ir.Constant(ir.VectorType(ir.IntType(32), n), [0] * n))
        address = builder.add(base, builder.mul(offset, ir.Constant(wide, [size] * n)))
        pointers = builder.inttoptr(address, ir.VectorType(line_p.type, n))
        gather = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vector, [pointers.type, ir.IntType(32), ir.VectorType(ir.IntType(1), n), vector]),
            f"llvm.masked.gather.v{n}{sample.intrinsic_name}.v{n}p0")
        taps = builder.call(gather, [pointers, ir.Constant(ir.IntType(32), size),
                                     ir.Constant(ir.VectorType(ir.IntType(1), n), [1] * n), ir.Constant(vector, None)])
        multiply, plus = (builder.fmul, builder.fadd) if floating else (builder.mul, builder.add)
        if fused and floating:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vector, [vector] * 3),
                                                f"llvm.fma.v{n}{sample.intrinsic_name}")
            total = builder.call(fn, [load(weight_p, vector), taps, load(acc_p, vector)])
        else:
            total = multiply(load(weight_p, vector), taps)
            if add:
                total = plus(load(acc_p, vector), total)
        builder.store(total, builder.bitcast(builder.gep(acc_p, [at]), vector.as_pointer()), align=1)
        return context.get_dummy_value()

    return types.void(acc, weight, line, index, e), codegen

