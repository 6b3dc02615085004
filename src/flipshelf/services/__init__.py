"""Use cases: one function per thing a user can do. Ports come in as arguments."""
