"""hegui.console: the web console under ``/console`` (server-rendered with Jinja2, HTMX for interaction).

Register with :func:`hegui.console.routes.add_console_routes`. Importing this package starts nothing.
"""
