"""One-row LightGBM predictions at C speed, for the decision hot path.

``Booster.predict`` on a single row spends most of its time in Python (argument checks, array
conversions, a fresh prediction context): about 60-100 µs. LightGBM's C API has a single-row
fast path (``LGBM_BoosterPredictForMatSingleRowFast``) that prepares the context once; a row
then costs a few microseconds plus the trees. Contributions (``pred_contrib``, TreeSHAP) go
through the same path; they cost far more than the score (hundreds of µs for a few hundred
trees), which is why a decision asks for them only when it needs its reasons.

The prepared contexts reuse buffers, so each call holds a lock: concurrent decisions stay
correct, and the lock is held for microseconds.
"""

from __future__ import annotations

import ctypes
import threading

import lightgbm as lgb
import numpy as np
from lightgbm.basic import _safe_call
from numpy.typing import NDArray

# LightGBM's loaded C library (not exported by name, hence getattr).
_LIB = getattr(lgb.basic, "_LIB")  # noqa: B009

_PREDICT_RAW = 1
_PREDICT_CONTRIB = 3
_FLOAT64 = 1


class _FastContext:
    def __init__(self, booster: lgb.Booster, predict_type: int, columns: int) -> None:
        self.handle = ctypes.c_void_p()
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(predict_type),
                ctypes.c_int(0),
                ctypes.c_int(-1),
                ctypes.c_int(_FLOAT64),
                ctypes.c_int32(columns),
                ctypes.c_char_p(b"num_threads=1"),
                ctypes.byref(self.handle),
            )
        )
        width = columns + 1 if predict_type == _PREDICT_CONTRIB else 1
        self.out = np.zeros(width, dtype=np.float64)
        self._out_pointer = self.out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
        self._length = ctypes.c_int64()
        self.lock = threading.Lock()

    def run(self, row: NDArray[np.float64]) -> NDArray[np.float64]:
        """The prediction for one contiguous float64 row (a copy, safe to keep)."""
        with self.lock:
            _safe_call(
                _LIB.LGBM_BoosterPredictForMatSingleRowFast(
                    self.handle,
                    row.ctypes.data_as(ctypes.c_void_p),
                    ctypes.byref(self._length),
                    self._out_pointer,
                )
            )
            return self.out.copy()

    def __del__(self) -> None:
        handle = getattr(self, "handle", None)
        if handle is not None and handle.value:
            _LIB.LGBM_FastConfigFree(handle)


class FastBooster:
    """A loaded booster with prepared one-row contexts for raw scores and contributions."""

    def __init__(self, model_text: str) -> None:
        self.booster = lgb.Booster(model_str=model_text)
        self.columns = self.booster.num_feature()
        self._raw = _FastContext(self.booster, _PREDICT_RAW, self.columns)
        self._contrib: _FastContext | None = None
        self._contrib_lock = threading.Lock()

    def raw_one(self, row: NDArray[np.float64]) -> float:
        """The raw margin (log-odds) of one row."""
        return float(self._raw.run(row)[0])

    def contributions_one(self, row: NDArray[np.float64]) -> NDArray[np.float64]:
        """TreeSHAP contributions of each column, then the expected value (sums to the margin)."""
        if self._contrib is None:
            with self._contrib_lock:
                if self._contrib is None:
                    self._contrib = _FastContext(self.booster, _PREDICT_CONTRIB, self.columns)
        return self._contrib.run(row)

    def raw_many(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """Raw margins of many rows at once (training, benchmarks)."""
        return np.asarray(self.booster.predict(rows, raw_score=True), dtype=np.float64)
