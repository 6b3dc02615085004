"""Public pages: the player, reader events, signed downloads, static assets."""
