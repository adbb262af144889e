"""Data stage: readers for public formats, preparation, and the Catalog/Example contract."""

from sprec.data.dataset import Catalog, Dataset, Example, Item

__all__ = ["Catalog", "Dataset", "Example", "Item"]
