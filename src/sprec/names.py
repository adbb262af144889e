"""Row names."""

from __future__ import annotations


def method_of(model_row: str) -> str:
    """The method a model row belongs to: "sprec t=2" -> "sprec", "dpo" -> "dpo"."""
    return model_row.split(" t=")[0]
