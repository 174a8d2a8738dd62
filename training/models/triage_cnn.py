"""TriageCNN: our student, designed for the paper's budget (<= 691,911 params, <= 30,037,824 MACs).

Where the paper CNN spends 590K of its parameters on one dense layer over a 64x64 stretched image,
this net keeps the images' 4:3 shape at 120x90, uses batch norm and inverted-residual blocks
(depthwise 3x3 between 1x1 expansions, MobileNetV2-style) and global average pooling, so nearly all
parameters see the image. The graph also returns class activation maps (`cam`: N x 7 x 3 x 4), the
classifier applied at every position of the last feature map, so the viewer can show where it looked.
"""

from __future__ import annotations

import torch
from torch import nn

INPUT_HW = (90, 120)

# (expansion, out channels, repeats, first stride)
STAGES = [
    (1, 16, 1, 2),
    (4, 24, 2, 1),
    (4, 40, 2, 2),
    (4, 72, 3, 2),
    (4, 112, 2, 1),
    (4, 160, 1, 2),
]
HEAD = 256


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        layers = [] if expand == 1 else [conv_bn(cin, mid, 1)]
        layers += [conv_bn(mid, mid, 3, stride, groups=mid), conv_bn(mid, cout, 1, act=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class TriageCNN(nn.Module):
    def __init__(self, num_classes: int = 7, dropout: float = 0.2, with_cam: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(3, 16, 3, 2)]
        cin = 16
        for expand, cout, repeats, stride in STAGES:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers.append(conv_bn(cin, HEAD, 1))
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(HEAD, num_classes)
        self.with_cam = with_cam

    def forward(self, x: torch.Tensor):  # noqa: ANN201 - logits, or (logits, cam) for export
        f = self.features(x)
        logits = self.classifier(self.dropout(f.mean(dim=(2, 3))))
        if not self.with_cam:
            return logits
        cam = torch.einsum("kc,nchw->nkhw", self.classifier.weight, f) + self.classifier.bias.view(1, -1, 1, 1)
        return logits, cam
