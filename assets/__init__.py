"""Bundled data (models and their cards, quality gate, samples, icons); no code.

A package only so that an installed wheel carries it as `dermtriage.assets`, found with importlib.resources
(see inference/resources.py).
"""
