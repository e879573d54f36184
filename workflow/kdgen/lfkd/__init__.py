"""The lfkd study: low-fidelity ensemble distillation (see docs/lfkd.md)."""
