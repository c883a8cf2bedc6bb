"""What every benchmark prints with, and how it stops when a figure would mean nothing."""


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201


def require(condition: bool, message: str) -> None:
    """Stop the benchmark loudly: a figure measured on a broken system means nothing."""
    if not condition:
        raise SystemExit(f"benchmark aborted: {message}")
