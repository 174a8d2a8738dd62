"""DermTriage desktop app (PySide6): patient queue, viewer, case panel, batch scan, store, exports.

Importing the package first installs the PySide6 reference-count guard (see gui/qtcompat.py): without
it a long session can abort on CPython < 3.12.
"""

from gui.qtcompat import install_guard

install_guard()
