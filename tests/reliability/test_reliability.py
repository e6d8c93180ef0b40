"""The reliability suite (marker ``reliability``): every function of template.yaml, every sample event,
every scenario of :mod:`tests.reliability.scenarios` - nothing lost, nothing done twice, no secret in any
log line, answer or exception. ``OPSFN_RELIABILITY_PROFILE=long`` runs the long profile (more fault seeds,
10,000 fuzz examples per trigger); ``python -m tests.reliability.report`` publishes the same numbers."""

from __future__ import annotations

import pytest

from tests.reliability.harness import TEMPLATE, Sample, samples
from tests.reliability.scenarios import SCENARIOS

pytestmark = pytest.mark.reliability

SAMPLES = samples()


def test_every_function_of_the_template_has_samples_to_run() -> None:
    assert {s.function for s in SAMPLES} == set(TEMPLATE.functions)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_scenario(sample: Sample, scenario: str) -> None:
    tally = SCENARIOS[scenario](sample)
    assert tally.lost == 0, tally.notes
    assert tally.unsettled == 0, f"{tally.unsettled} deliveries still retrying after the attempt limit"
    assert tally.leaks == 0, "a secret reached a log line, an answer or an exception"
    assert tally.survived == tally.tried
