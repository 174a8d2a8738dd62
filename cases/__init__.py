"""Qt-free case logic: the case store, the triage policy, the scan job and the CSV export.

Layering (checked by import-linter): gui -> cases -> inference; cases never imports PySide6.
"""
