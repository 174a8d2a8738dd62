"""DermTriage: the installed command (`dermtriage`) and, as `dermtriage.assets`, the bundled data.

The code lives in three top-level packages layered gui -> cases -> inference (see the README); this
package is only the entry point above them.
"""

__version__ = "0.1.0"
