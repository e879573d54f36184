"""Training: augmentation policies, the trainer loop, and classifier I/O."""
