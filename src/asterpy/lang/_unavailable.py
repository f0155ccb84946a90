"""IntrinsicUnavailable, kept apart so linkage can use it without importing intrinsics (private)."""


class IntrinsicUnavailable(Exception):
    """An intrinsic, naked function or extern symbol that has no meaning under CPython."""


# It is part of the intrinsics API: show it there in tracebacks and reprs.
IntrinsicUnavailable.__module__ = "asterpy.lang.intrinsics"
