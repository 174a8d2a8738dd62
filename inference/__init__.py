"""Qt-free inference for DermTriage: model card, decoding, quality gate, preprocessing, batch runner.

Nothing here imports Qt, torch or training code, so the command line, the GUI worker and the
benchmarks all share exactly one path from a file on disk to a calibrated result.
"""
