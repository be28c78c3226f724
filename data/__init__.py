"""APPS problems as typed records: `load_dataset(spec, ...) -> Dataset`.

Imports only; reading happens when load_dataset is called (`datasets` and
`pyarrow` are imported inside the readers that need them).
"""
from data.loader import DEFAULT_SAMPLE, fingerprint, load_dataset, parse_difficulties, problem_order
from data.problem import DataError, Dataset, Difficulty, Problem, ProblemFormatError, SkippedProblem

__all__ = [
    "DEFAULT_SAMPLE",
    "DataError",
    "Dataset",
    "Difficulty",
    "Problem",
    "ProblemFormatError",
    "SkippedProblem",
    "fingerprint",
    "load_dataset",
    "parse_difficulties",
    "problem_order",
]
