"""The error for plain files that do not fit their format (solver inputs, imports). No Django here,
so the pure modules can raise it too."""


class FormatError(ValueError):
    """The input does not fit the file format; the message names the offending field."""
