"""hegui.gateway"""
