"""hegui.store"""
