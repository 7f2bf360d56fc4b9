"""Knowledge: the data tables behind nvwizard's advice, no I/O and no machine state.

- architectures.py: GPU generations by PCI device id, and which branches and module flavours
  (open, proprietary) each can run;
- branches.py: NVIDIA's driver branches: designation (LTSB, PB, NFB), release and end of
  life, the CUDA each supports;
- cuda.py: CUDA toolkits and cuDNN against driver branches and GPUs; containers.py: the
  container toolkit and the runtimes it configures;
- packages.py (Ubuntu) and debian.py: what a driver package's name says and which packages
  make up a driver; kernel_modules.py: the NVIDIA kernel modules, their order, GPU services;
- explanations.py: the texts behind the Select panel and the plan (open vs proprietary,
  -server vs desktop, signed vs DKMS).

A new GPU, branch or CUDA release is a row in these tables (with its source in a comment);
the tests in tests/knowledge check the rows against each other.
"""
