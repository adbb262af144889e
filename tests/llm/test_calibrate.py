import dataclasses
import math

from sprec.llm import calibrate


def test_a_forward_pass_is_timed_and_scaled_by_the_reference_machine(tiny_cfg, monkeypatch):
    seconds = calibrate.forward_seconds(tiny_cfg, batch=2, length=16, repeats=3)
    assert math.isfinite(seconds) and seconds > 0
    monkeypatch.setattr(calibrate, "forward_seconds", lambda cfg: 2 * calibrate.REFERENCE_SECONDS)
    # twice as slow as the plan's machine: the plan doubles (float32: training and inference alike)
    assert calibrate.machine_speed(tiny_cfg) == {"llm-train": 2.0, "llm-infer": 2.0}
    # bfloat16 inference is timed in bfloat16, training with the float32 weights it loads
    monkeypatch.setattr(calibrate, "forward_seconds", lambda cfg: calibrate.REFERENCE_SECONDS * (
        1 if cfg.dtype == "float32" else 0.5))  # fmt: skip
    assert calibrate.machine_speed(dataclasses.replace(tiny_cfg, dtype="bfloat16")) == {"llm-train": 1.0,
                                                                                        "llm-infer": 0.5}
