"""Placeholder: the S Street scenario builder is being written."""

from collections.abc import Callable


def is_loaded() -> bool:
    return False


def build(seed: int = 2024, progress: Callable[[str], None] = print) -> None:
    raise NotImplementedError


def print_logins() -> None:
    pass
