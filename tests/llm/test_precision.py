import pytest

from sprec.config import ModelConfig
from sprec.errors import ConfigError
from sprec.llm.precision import instruction_set, resolve

AVX2 = {"amx": False, "avx512_bf16": False, "avx512": False, "avx2": True}
ZEN4 = {"amx": False, "avx512_bf16": True, "avx512": True, "avx2": True}
SAPPHIRE_RAPIDS = {"amx": True, "avx512_bf16": True, "avx512": True, "avx2": True}


def test_instruction_sets_are_named_as_a_reader_wants_them():
    assert instruction_set(AVX2) == "AVX2"
    assert instruction_set(ZEN4) == "AVX-512 + BF16"
    assert instruction_set(SAPPHIRE_RAPIDS) == "AVX-512 + AMX"
    assert instruction_set({**ZEN4, "avx512_bf16": False}) == "AVX-512"


def test_auto_takes_bfloat16_only_where_the_cpu_multiplies_it_in_hardware():
    for features, dtype in ((AVX2, "float32"), (ZEN4, "bfloat16"), (SAPPHIRE_RAPIDS, "bfloat16")):
        p = resolve("auto", features, cuda=False)
        assert p.dtype == dtype and p.bf16 == (dtype == "bfloat16")
        assert p.device.startswith("CPU (") and "auto" in p.why
    assert "no bf16 matmul instructions" in resolve("auto", AVX2, cuda=False).why  # says float32 and why


def test_a_forced_dtype_is_kept_whatever_the_machine():
    assert resolve("float32", SAPPHIRE_RAPIDS, cuda=False).dtype == "float32"
    assert resolve("bfloat16", AVX2, cuda=False).dtype == "bfloat16"
    assert resolve("bfloat16", AVX2, cuda=False).why == "set by model.dtype"


def test_auto_is_the_default_and_an_unknown_dtype_names_the_key_and_the_choices():
    assert ModelConfig().dtype == "auto"
    with pytest.raises(ConfigError, match=r"model.dtype: choose auto, float32 or bfloat16, got 'bf16'"):
        ModelConfig(dtype="bf16")
