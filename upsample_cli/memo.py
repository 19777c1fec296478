"""Results kept for the last few calls: by value (``remembered``), or by the identity of the
unchanging objects they derive from (``kept``)."""

import operator


def remembered(store: dict, key, build, size: int = 32):
    """``build()``, kept in ``store`` under the hashable ``key`` (the store is emptied when full)."""
    value = store.get(key)
    if value is None:
        if len(store) >= size:
            store.clear()
        value = store[key] = build()
    return value


def kept(store: dict, objects: tuple, extra: tuple, build, size: int = 8):
    """``build()``, kept in ``store`` under the identities of ``objects`` and the values ``extra``.

    The objects are held with the result, so their identities cannot pass to new objects while
    it is kept. Only objects that cannot change are kept by: read-only arrays, and tuples of
    them and of numbers; with any other, ``build()`` runs each call. A call that finds its
    result runs a few C-level steps (it is on every resize's path).
    """
    key = (*map(id, objects), *extra)
    entry = store.get(key)
    if entry is not None and all(map(operator.is_, entry[0], objects)):
        return entry[1]
    if not all(map(_unchanging, objects)):
        return build()
    if entry is not None:
        del store[key]
    return remembered(store, key, lambda: (objects, build()), size)[1]


def _unchanging(value) -> bool:
    if isinstance(value, tuple):
        return all(map(_unchanging, value))
    flags = getattr(value, "flags", None)
    return not flags.writeable if flags is not None else isinstance(value, (int, float, str, type(None)))
