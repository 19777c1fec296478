"""The registry of modes and conventions agrees with its twins, and loads without NumPy."""

import subprocess
import sys

import pytest

from upsample_cli import api, registry
from upsample_cli.compat import opencv, pillow, tensorflow

TWIN_MODES = {
    "torch": api.MODES,
    "tf": tensorflow.RULES,
    "keras": tensorflow.KERAS_INTERPOLATIONS,
    "pillow": pillow.MODES,
    "opencv": opencv.MODES,
}


@pytest.mark.parametrize("name", registry.NAMES)
def test_each_convention_has_the_modes_of_its_twin(name):
    c = registry.convention(name)
    assert set(c.modes) == set(TWIN_MODES[name])
    assert c.default in c.modes
    assert callable(registry.load(c.twin))
    resizer = registry.load(c.resizer)
    assert callable(resizer.plan) and callable(resizer.resize)


def test_torch_ranks_come_from_the_registry():
    for name, spec in registry.TORCH.modes.items():
        assert api.MODES[name].ranks == spec.ranks
        assert api.MODES[name].interpolating == spec.interpolating


def test_an_unknown_convention_or_mode_says_what_there_is():
    with pytest.raises(ValueError, match="expected one of: torch, tf, keras, pillow, opencv"):
        registry.convention("skimage")
    with pytest.raises(ValueError, match="pillow modes: nearest, box"):
        registry.convention("pillow").mode("cubic")


def test_the_command_line_and_the_registry_load_without_numpy():
    code = "import sys, upsample_cli.cli, upsample_cli.registry; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
