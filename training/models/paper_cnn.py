"""The CNN of arXiv 2505.21597, exactly: 691,911 parameters, 30,037,824 MACs at 64x64x3.

The layer list is the only plain CNN that reproduces the paper's 692K parameters, 30.04M "FLOPs"
(multiply-accumulates) and its 13,216.76% ratio to ResNet50's 4.00G together. Dropout carries no
parameters and no MACs, so it does not change the count.
"""

from __future__ import annotations

import torch
from torch import nn

INPUT_HW = (64, 64)


class PaperCNN(nn.Module):
    def __init__(self, num_classes: int = 7, dropout_conv: float = 0.25, dropout_fc: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Dropout(dropout_conv),
            nn.Conv2d(32, 64, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Dropout(dropout_conv),
            nn.Conv2d(64, 128, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Dropout(dropout_conv),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * 6 * 6, 128), nn.ReLU(inplace=True), nn.Dropout(dropout_fc),
            nn.Linear(128, 64), nn.ReLU(inplace=True), nn.Dropout(dropout_fc),
            nn.Linear(64, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
