"""TriageCNN: our student, designed for the paper's budget (<= 691,911 params, <= 30,037,824 MACs).

Why this shape: on 2 CPU cores a network trained from scratch on 6,000 images stalled at the paper
CNN's accuracy (a from-scratch inverted-residual net at 120x90 reached 75.8% / 0.558 balanced on the
test split). What the teacher has and a scratch net lacks is ImageNet features, and most of those
live in EfficientNet-Lite0's early blocks, which are also its cheapest in parameters. So the student
*is* the front of Lite0 -- stem and the first ``N_BLOCKS`` inverted-residual blocks with their
ImageNet weights -- at a 4:3 input small enough for the MAC budget, followed by a new 1x1 conv,
global average pooling and a linear classifier. Nothing per image runs outside that graph.

The exported graph also returns class activation maps (`cam`: N x 7 x h x w), the classifier applied
at every position of the last feature map; their spatial mean equals the logits, so the map is an
exact decomposition of the score rather than a post-hoc saliency method.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.lite0 import lite0

INPUT_HW = (72, 96)  # height, width: 4:3 like the 600x450 dermoscopy frames
N_BLOCKS = 9  # Lite0 blocks kept: up to the first 112-channel block (overall stride 16)
HEAD = 384
LITE0_DROP_CONNECT = 0.2  # Lite0's own stochastic-depth rate, scaled by block index as in the original


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class TriageCNN(nn.Module):
    def __init__(self, num_classes: int = 7, dropout: float = 0.2, with_cam: bool = False, pretrained: bool = False,
                 input_hw: tuple[int, int] = INPUT_HW, n_blocks: int = N_BLOCKS, head: int = HEAD,
                 with_features: bool = False) -> None:
        super().__init__()
        base = lite0(pretrained, input_hw)
        self.stem = nn.Sequential(base._conv_stem, base._bn0, nn.ReLU6(inplace=True))
        self.blocks = nn.ModuleList(base._blocks[:n_blocks])
        self.drop_rates = [LITE0_DROP_CONNECT * i / len(base._blocks) for i in range(n_blocks)]
        cin = base._blocks[n_blocks - 1]._block_args.output_filters
        self.head = conv_bn(cin, head, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head, num_classes)
        self.with_cam = with_cam
        self.with_features = with_features  # export the pooled features too (the quality gate's second stage)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block, rate in zip(self.blocks, self.drop_rates, strict=True):
            x = block(x, drop_connect_rate=rate if self.training else None)
        return self.head(x)

    def forward(self, x: torch.Tensor):  # noqa: ANN201 - logits, or (logits, cam) for export
        f = self.features(x)
        pooled = f.mean(dim=(2, 3))
        logits = self.classifier(self.dropout(pooled))
        if not self.with_cam:
            return logits
        cam = torch.einsum("kc,nchw->nkhw", self.classifier.weight, f) + self.classifier.bias.view(1, -1, 1, 1)
        if self.with_features:
            return logits, cam, pooled
        return logits, cam
