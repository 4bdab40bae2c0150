"""hegui.cli."""
