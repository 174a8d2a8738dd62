"""Model definitions; each module exposes a builder and the input size it was designed for."""
