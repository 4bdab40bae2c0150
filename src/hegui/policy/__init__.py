"""hegui.policy."""
