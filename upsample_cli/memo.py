"""Results kept for the last few calls: by value (``remembered``), or by the identity of the
read-only arrays they derive from (``kept``)."""


def remembered(store: dict, key, build, size: int = 32):
    """``build()``, kept in ``store`` under the hashable ``key`` (the store is emptied when full)."""
    value = store.get(key)
    if value is None:
        if len(store) >= size:
            store.clear()
        value = store[key] = build()
    return value


def kept(store: dict, arrays: tuple, extra: tuple, build, size: int = 8):
    """``build()``, kept in ``store`` under the identities of ``arrays`` and the values ``extra``.

    The arrays are held with the result, so their identities cannot pass to new objects while it
    is kept; writable arrays (which could change under it) are never kept.
    """
    if any(getattr(a, "flags", None) is None or a.flags.writeable for a in arrays):
        return build()
    key = tuple(map(id, arrays)) + extra
    entry = store.get(key)
    if entry is not None and any(a is not b for a, b in zip(entry[0], arrays)):
        del store[key]
    return remembered(store, key, lambda: (arrays, build()), size)[1]
