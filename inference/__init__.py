"""Qt-free inference for DermTriage: model card, decoding, quality gate, preprocessing, batch runner.

Nothing here imports Qt, torch or training code, so the command line, the GUI worker and the
benchmarks all share exactly one path from a file on disk to a calibrated result.
"""

import os

# Offline means offline: ONNX Runtime 1.32 sends usage telemetry (DNS lookups of an events host, a device
# id under ~/.cache/Microsoft/) unless told not to before it loads. Every import of the runtime in the app
# goes through this package, so setting it here covers the window, `scan` and the frozen build.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
