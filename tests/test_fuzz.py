"""Hypothesis over mutated real documents and pages, through read → merge → emit → compile.

The only outcomes allowed are a package whose files all compile, or a `MetadataError` / `SpecError`
(see tests/fuzzing.py; `make fuzz` runs thousands of examples).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzzing import DOCUMENTS, fuzz_document, fuzz_page, run_document

_FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@_FUZZ
@given(st.randoms(use_true_random=False))
def test_mutated_documents_give_a_package_or_a_metadata_error(rng: random.Random) -> None:
    case = fuzz_document(rng)
    assert case.outcome in ("package", "MetadataError", "PatternError")


@_FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_mutated_pages_give_a_package_or_a_spec_error(rng: random.Random, tmp_path: Path) -> None:
    case = fuzz_page(rng, tmp_path)
    assert case.outcome in ("package", "SpecError")


# The OASIS example of special characters keys its entity on a property it does not declare.
_INVALID = {"special-characters.xml"}


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p.is_file()], ids=lambda p: p.name)
def test_unmutated_documents_generate(path: Path) -> None:
    # The corpus itself must generate, or the fuzzer would only ever be testing error paths.
    expected = "MetadataError" if path.name in _INVALID else "package"
    assert run_document(path.read_bytes(), path.name) == expected
