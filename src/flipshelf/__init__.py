"""flipshelf: a self-hosted flipbook publishing server speaking the Flipsnack v1 action API."""

__version__ = "0.1.0"
