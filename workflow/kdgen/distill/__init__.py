"""Knowledge distillation: the ensemble KD loss and method (:mod:`kd`) and the teachers it consults
(:mod:`teachers`), shared by the studies that distil (lfkd, xkd)."""
