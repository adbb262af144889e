"""The precision an LLM computes in. `model.dtype: auto` takes bfloat16 where the hardware multiplies it fast
(x86 CPUs with AMX or AVX-512 BF16, CUDA devices with bf16) and float32 elsewhere: on an AVX2-only CPU bfloat16
matmuls are emulated and slower than float32, so the choice follows the machine, not a config file.

Inference then loads the weights in bfloat16; training keeps float32 weights (base, LoRA and optimizer state)
and computes under the Trainer's bf16 autocast.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def _cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux), or none where /proc/cpuinfo is not there."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.split(":", 1)[-1].split())


def _torch_cpu_says(name: str) -> bool:
    check = getattr(torch.cpu, name, None)  # private helpers of torch >= 2.3; flags are the fallback
    return bool(check()) if callable(check) else False


@functools.cache
def cpu_features() -> dict[str, bool]:
    flags = _cpu_flags()
    return {
        "amx": "amx_bf16" in flags or _torch_cpu_says("_is_amx_tile_supported"),
        "avx512_bf16": "avx512_bf16" in flags or _torch_cpu_says("_is_avx512_bf16_supported"),
        "avx512": "avx512f" in flags or _torch_cpu_says("_is_avx512_supported"),
        "avx2": "avx2" in flags or _torch_cpu_says("_is_avx2_supported"),
    }


def instruction_set(features: dict[str, bool] | None = None) -> str:
    """The CPU's widest vector instructions, as a reader of a table wants them named: "AVX-512 + AMX",
    "AVX-512 + BF16", "AVX-512", "AVX2" (float32 results differ in their last bits between these)."""
    f = cpu_features() if features is None else features
    if f["avx512"]:
        return "AVX-512" + (" + AMX" if f["amx"] else " + BF16" if f["avx512_bf16"] else "")
    return "AVX2" if f["avx2"] else (torch.backends.cpu.get_cpu_capability() or "unknown")


@dataclass(frozen=True)
class Precision:
    dtype: str  # float32 | bfloat16: what the weights are loaded in and training autocasts to
    device: str  # "CPU (AVX-512 + BF16)", "CUDA (NVIDIA A100)"
    why: str  # one line: why this dtype here

    @property
    def bf16(self) -> bool:
        return self.dtype == "bfloat16"

    def line(self) -> str:
        return f"{self.dtype} on {self.device}: {self.why}"


def resolve(requested: str, features: dict[str, bool] | None = None, cuda: bool | None = None) -> Precision:
    """The dtype of `model.dtype` on this machine: float32 / bfloat16 as asked; auto: bfloat16 where bf16
    matmuls are fast (AMX or AVX-512 BF16 on the CPU; a CUDA device that supports bf16), else float32."""
    cuda = torch.cuda.is_available() if cuda is None else cuda
    if cuda:
        device = f"CUDA ({torch.cuda.get_device_name(0)})"
        fast = torch.cuda.is_bf16_supported()
        how = "the GPU supports bf16" if fast else "the GPU has no fast bf16"
    else:
        isa = instruction_set(features)
        device, fast = f"CPU ({isa})", "AMX" in isa or "BF16" in isa
        how = f"{isa} multiplies bf16 in hardware" if fast else f"{isa} has no bf16 matmul instructions"
    if requested != "auto":
        return Precision(requested, device, "set by model.dtype")
    return Precision("bfloat16" if fast else "float32", device, f"model.dtype auto: {how}")
