"""The ganrep study: GAN replication vs dataset size and intrinsic dimension (see docs/ganrep.md)."""
