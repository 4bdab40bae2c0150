"""hegui.moderation."""
