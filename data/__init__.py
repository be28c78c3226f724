"""APPS problems as typed records: `open_dataset(spec, ...) -> ProblemIndex` (streamed),
`load_dataset(spec, ...) -> Dataset` (in memory).

Imports only; reading happens when load_dataset is called (`datasets` and
`pyarrow` are imported inside the readers that need them).
"""
from data.ids import IdResolver
from data.loader import (
    DEFAULT_SAMPLE, ProblemIndex, ProblemRef, combine_digests, fingerprint, load_dataset, open_dataset, parse_difficulties, problem_order,
)
from data.problem import DataError, Dataset, Difficulty, Problem, ProblemFormatError, SkippedProblem

__all__ = [
    "DEFAULT_SAMPLE",
    "DataError",
    "Dataset",
    "Difficulty",
    "IdResolver",
    "Problem",
    "ProblemIndex",
    "ProblemRef",
    "ProblemFormatError",
    "SkippedProblem",
    "combine_digests",
    "fingerprint",
    "load_dataset",
    "open_dataset",
    "parse_difficulties",
    "problem_order",
]
