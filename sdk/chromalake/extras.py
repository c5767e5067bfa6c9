"""Which extra brings which package, and the error that says so when one is missing.

``pip install chromalake`` is the slim install (the remote clients); the engine, the server and
the default model are extras. A part whose extra is missing fails at import with one line that
names the extra, rather than a bare ``No module named 'pyarrow'``.
"""

from __future__ import annotations

#: Top-level module -> the extra of pyproject.toml that installs it.
EXTRA_OF = {
    "pyarrow": "embedded",
    "lancedb": "embedded",
    "faiss": "embedded",
    "aws_lambda_powertools": "server",
    "boto3": "server",
    "botocore": "server",
    "tokenizers": "embeddings",
    "onnxruntime": "embeddings",
    "threadpoolctl": "embeddings",
    "tqdm": "progress",
    "pandas": "dataframes",
    "yaml": "server",
    "moto": "aws-local",
}


class MissingExtraError(ModuleNotFoundError):
    """A package of one of chromalake's extras is not installed (the message names the extra)."""


def missing_extra(error: ModuleNotFoundError) -> ModuleNotFoundError:
    """The error to raise for ``error``: one naming the extra when an extra brings the module.

    Example:
        >>> error = missing_extra(ModuleNotFoundError("No module", name="pyarrow"))
        >>> print(error)  # doctest: +ELLIPSIS
        chromalake needs pyarrow, which is not installed: pip install 'chromalake[embedded]' ...
        >>> missing_extra(ModuleNotFoundError("No module", name="nothing")).name
        'nothing'
    """
    if isinstance(error, MissingExtraError):
        return error
    top = (error.name or "").split(".")[0]
    extra = EXTRA_OF.get(top)
    if extra is None:
        return error
    return MissingExtraError(
        f"chromalake needs {top}, which is not installed: pip install 'chromalake[{extra}]' "
        f"(from a checkout: pip install '.[{extra}]')",
        name=top,
    )


__all__ = ["EXTRA_OF", "MissingExtraError", "missing_extra"]
