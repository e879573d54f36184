"""The model zoo: classifiers by config name (see :func:`build_model` and :data:`ARCHITECTURES`)."""

from kdgen.models.zoo import ARCHITECTURES, PUBLISHED_PARAMS_M, ModelError, build_model, count_parameters

__all__ = ["ARCHITECTURES", "PUBLISHED_PARAMS_M", "ModelError", "build_model", "count_parameters"]
