"""The error every data reader raises, below the modules that raise it (``data``, ``airline``),
so that neither imports the other for it."""


class DataUnavailable(RuntimeError):
    """The requested data cannot be read or fetched; the message says what to do."""
