"""The v1 actions: each parses its own parameters, calls one service and shapes the answer."""
