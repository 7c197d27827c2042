"""Why a calibration was refused: one stable code per reason, and a sentence for people."""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal[
    "bad_input",
    "mismatched_lengths",
    "non_finite",
    "too_few_points",
    "out_of_frame",
    "duplicate_points",
    "collinear",
    "fit_failed",
    "too_many_outliers",
    "horizon",
    "poor_fit",
]

ERROR_CODES: tuple[ErrorCode, ...] = (
    "bad_input",
    "mismatched_lengths",
    "non_finite",
    "too_few_points",
    "out_of_frame",
    "duplicate_points",
    "collinear",
    "fit_failed",
    "too_many_outliers",
    "horizon",
    "poor_fit",
)


class CalibrationError(ValueError):
    """The pairs do not define a usable image <-> ground mapping.

    `code` is stable (the web API returns it with a 422); the message is for the integrator
    and names the offending points by their index in the input (0-based).
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
