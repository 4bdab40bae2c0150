"""hegui.services"""
