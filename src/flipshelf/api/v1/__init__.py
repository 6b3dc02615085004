"""The v1 action protocol: parse, authenticate, rate-limit, call one service, encode."""
