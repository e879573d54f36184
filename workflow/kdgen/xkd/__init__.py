"""The xkd study: crossmodal knowledge distillation with a CLIP teacher."""
