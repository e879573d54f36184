"""The workflow plans the same output files as the lists kept in tests/data/planned_outputs/ (the default,
smoke and paper configs): a restructuring moves code, never a result path."""

import pytest

from planned_outputs import CONFIGS, KEPT, planned_outputs


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_planned_output_files_are_the_kept_ones(name):
    kept = (KEPT / f"{name}.txt").read_text().splitlines()
    now = planned_outputs(CONFIGS[name])
    gone, new = sorted(set(kept) - set(now)), sorted(set(now) - set(kept))
    assert not gone and not new, (
        f"{name}: {len(gone)} planned files gone ({gone[:5]}), {len(new)} new ({new[:5]}); if the change is deliberate, "
        "keep the new lists with: PYTHONPATH=workflow python tests/planned_outputs.py --write"
    )
