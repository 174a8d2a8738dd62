"""Development-only training pipeline (PyTorch). The app never imports this package."""
