"""Names the xkd config checks need without importing torch or open_clip (they run at planning time):
the CLIP architectures open_clip can build, read from its model-config folder, and the compact CLIP's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: The compact CLIP kdgen registers with open_clip and pretrains itself (see :mod:`kdgen.xkd.clip`).
COMPACT_CLIP = "kdgen-compact-clip-rn"

#: Where a user with the network gets OpenAI's ViT-B-32 weights as one local file (OpenAI's weights were
#: trained with QuickGELU: the -quickgelu architecture, which the plain name's state dict cannot tell apart).
WEIGHTS_HINT = (
    "on a machine with the network, save them once with open_clip, e.g. python -c \"import open_clip, torch; "
    "m = open_clip.create_model('ViT-B-32-quickgelu', pretrained='openai'); torch.save(m.state_dict(), 'ViT-B-32-openai.pt')\", "
    "then give that file's path with clip.arch: ViT-B-32-quickgelu"
)


def open_clip_architectures() -> list[str]:
    """The architecture names open_clip ships configs for (``open_clip.list_models()`` without the import),
    and the compact CLIP's."""
    spec = importlib.util.find_spec("open_clip")
    names = {COMPACT_CLIP}
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            names.update(p.stem for p in (Path(folder) / "model_configs").glob("*.json"))
    return sorted(names)


def clip_arch_problem(arch: str) -> str | None:
    """Why ``arch`` is not a CLIP architecture open_clip can build here, or None."""
    known = open_clip_architectures()
    if arch in known:
        return None
    close = [n for n in known if n.lower().replace("/", "-") == arch.lower().replace("/", "-")]
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"not an open_clip architecture; {hint}expected a name from open_clip.list_models() such as 'ViT-B-32', or {COMPACT_CLIP!r}"
