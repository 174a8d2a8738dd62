"""DermTriage desktop app (PySide6): patient queue, viewer, case panel, batch scan, store, exports."""
