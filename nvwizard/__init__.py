"""nvwizard: replace the NVIDIA driver on an Ubuntu server, step by visible step."""

__version__ = "0.1.0"
