"""The file-store port's backends."""
