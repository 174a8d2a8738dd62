"""Dialogs: About (the model card in readable form), Settings, Keyboard shortcuts."""
