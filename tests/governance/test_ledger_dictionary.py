"""Ledger records deflated against a frozen preset dictionary: smaller, and every record ever
stored (with a dictionary or without) still opens."""

from __future__ import annotations

import hashlib
import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport import Engine
from rapport.decisions.record import encode
from rapport.governance.ledger_dictionary import (
    DICTIONARIES,
    V1,
    UnknownDictionaryError,
    deflate,
    inflate,
)
from tests.events.samples import event

FROZEN = {
    # A stored record names its dictionary for ever: these bytes may never change. A new
    # dictionary is a new file and a new line here.
    zlib.adler32(V1): "a32aa0cfcaf302aef12f0dda63ab7ae1d14ea26cfb6c76b8ff6ad8a7cca8a213",
}


def test_no_dictionary_ever_changes() -> None:
    assert {k: hashlib.sha256(v).hexdigest() for k, v in DICTIONARIES.items()} == FROZEN


@given(st.binary(max_size=5_000))
def test_what_is_deflated_inflates_to_itself(plain: bytes) -> None:
    assert inflate(deflate(plain)) == plain


@given(st.binary(max_size=5_000))
def test_records_deflated_before_dictionaries_still_inflate(plain: bytes) -> None:
    assert inflate(zlib.compress(plain, 6)) == plain


def test_a_record_against_an_unknown_dictionary_is_named_not_misread() -> None:
    other = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, b"another dict")
    stream = other.compress(b'{"kind":"fraud"}') + other.flush()
    with pytest.raises(UnknownDictionaryError, match="dictionary"):
        inflate(stream)


PAYMENT = event("transaction")


def test_a_decision_record_deflates_to_well_under_what_deflate_alone_gives() -> None:
    with Engine("memory://") as engine:
        (decision,) = engine.decide_event(json.dumps(PAYMENT).encode())
        plain = encode(decision)
        assert len(deflate(plain)) < 0.75 * len(zlib.compress(plain, 6))
        original, again = engine.replay(decision.decision_id)
        assert original.outcome() == again.outcome()
