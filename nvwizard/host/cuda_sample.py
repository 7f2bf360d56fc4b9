"""The strongest proof that a driver and a toolkit work together: compile a small CUDA program
with the installed nvcc and run it on the GPU (cuda-sample.txt, read by `verify`).

The program adds two vectors of 2^20 floats on the GPU and checks every element; it prints
PASSED or FAILED, or the CUDA call that failed with CUDA's own error text ("CUDA driver version
is insufficient for CUDA runtime version" for a toolkit newer than the driver). It is built in
a fresh temporary folder that is removed afterwards; nothing else on the machine changes.

The run is skipped, and the source says why, when no NVIDIA device node exists (no GPU, or
the driver is not loaded): compiling alone still proves the toolkit works.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nvwizard.host.reading import Unavailable, run_command
from nvwizard.host.system_files import under

VECTOR_ADD = r"""// nvwizard: does the driver run what the installed toolkit compiles?
#include <cmath>
#include <cstdio>
#define CHECK(call) do { cudaError_t e = (call); if (e != cudaSuccess) { \
  printf("vector-add: %s failed: %s\n", #call, cudaGetErrorString(e)); return 1; } } while (0)
__global__ void add(const float *a, const float *b, float *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}
int main() {
  const int n = 1 << 20;
  float *a, *b, *c;
  CHECK(cudaMallocManaged(&a, n * sizeof(float)));
  CHECK(cudaMallocManaged(&b, n * sizeof(float)));
  CHECK(cudaMallocManaged(&c, n * sizeof(float)));
  for (int i = 0; i < n; i++) { a[i] = (float)i; b[i] = 2.0f; }
  add<<<(n + 255) / 256, 256>>>(a, b, c, n);
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  double max_error = 0;
  for (int i = 0; i < n; i++) max_error = fmax(max_error, fabs(c[i] - (i + 2.0f)));
  printf("vector-add: %d elements, max error %g, %s\n", n, max_error,
         max_error == 0 ? "PASSED" : "FAILED");
  return max_error == 0 ? 0 : 2;
}
"""

NVCC_CANDIDATES = ("/usr/local/cuda/bin/nvcc", "/usr/bin/nvcc")
DEVICE_NODE = "/dev/nvidiactl"
COMPILE_TIMEOUT_S = 180
RUN_TIMEOUT_S = 60


def find_nvcc(root: Path) -> str | None:
    for path in NVCC_CANDIDATES:
        if under(root, path).exists():
            return str(under(root, path))
    return shutil.which("nvcc")


def run_cuda_sample(root: Path, nvcc: str | None = None) -> str:
    """The cuda-sample.txt text: `nvcc=`, `compile=`, `run=` (an exit code or `skipped:
    <why>`), then `--- output ---` and what the compiler and the program printed."""
    nvcc = nvcc or find_nvcc(root)
    if nvcc is None:
        return "compile=skipped: no nvcc installed (/usr/local/cuda/bin/nvcc, nvcc on PATH)\n"
    head = [f"nvcc={nvcc}"]
    output: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nvwizard-vector-add-") as work:
        source = Path(work) / "vector_add.cu"
        binary = Path(work) / "vector_add"
        source.write_text(VECTOR_ADD)
        built = run_command([nvcc, "-o", str(binary), str(source)], COMPILE_TIMEOUT_S)
        if isinstance(built, Unavailable):
            head.append(f"compile=skipped: {built.reason}")
            return _text(head, output)
        head.append(f"compile={built.exit_code}")
        output += (built.stdout + built.stderr).splitlines()
        if built.exit_code != 0:
            head.append("run=skipped: the program did not compile")
            return _text(head, output)
        if not under(root, DEVICE_NODE).exists():
            head.append(
                f"run=skipped: no NVIDIA device node ({DEVICE_NODE}): the driver is not loaded "
                "or there is no GPU"
            )
            return _text(head, output)
        ran = run_command([str(binary)], RUN_TIMEOUT_S)
        if isinstance(ran, Unavailable):
            head.append(f"run=skipped: {ran.reason}")
            return _text(head, output)
        head.append(f"run={ran.exit_code}")
        output += (ran.stdout + ran.stderr).splitlines()
    return _text(head, output)


def _text(head: list[str], output: list[str]) -> str:
    lines = head + (["--- output ---", *output[-40:]] if output else [])
    return "".join(f"{line}\n" for line in lines)
