"""The alignment pipeline: generate -> deduplicate -> score -> select, with a disk cache."""

from .cache import DiskCache
from .candidates import CandidateSource, Usage
from .pipeline import METHODS, AlignError, AlignResult, aalign, align
from .pool_builder import abuild_pool

__all__ = ["METHODS", "AlignError", "AlignResult", "CandidateSource", "DiskCache", "Usage", "aalign", "abuild_pool", "align"]
