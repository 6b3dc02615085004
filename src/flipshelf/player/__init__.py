"""The player page: its configuration, template, escaping and static files.

`web/` serves it live (`/widget/{hash}`) and `packaging/` writes it into the offline package;
both call this package, which imports neither (docs/architecture.md).
"""
