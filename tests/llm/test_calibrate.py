import math

from sprec.llm import calibrate


def test_a_forward_pass_is_timed_and_scaled_by_the_reference_machine(tiny_cfg, monkeypatch):
    seconds = calibrate.forward_seconds(tiny_cfg, batch=2, length=16, repeats=3)
    assert math.isfinite(seconds) and seconds > 0
    monkeypatch.setattr(calibrate, "forward_seconds", lambda cfg: 2 * calibrate.REFERENCE_SECONDS)
    assert calibrate.machine_speed(tiny_cfg) == 2.0  # twice as slow as the plan's machine: the plan doubles
