"""Where a client finds its server and key pair: arguments, then the environment, then a
profile file; each setting separately, the first place that has it wins.

Environment: `FLIPSHELF_URL`, `FLIPSHELF_API_KEY`, `FLIPSHELF_API_SECRET`, `FLIPSHELF_SIGNING`
(`md5`, `md5-strict` or `hmac-sha256`), `FLIPSHELF_PROFILE` (which profile) and
`FLIPSHELF_PROFILES` (which file). The profile file is TOML, by default
`$XDG_CONFIG_HOME/flipshelf/profiles.toml` (`~/.config/flipshelf/profiles.toml`):

    [default]
    url = "https://books.example.com"
    api_key = "D3C0077B-6010-EE18149E042F"
    secret = "..."

    [staging]
    url = "https://staging.example.com"
    ...
"""

from __future__ import annotations

import os
import stat
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flipshelf_client.errors import ConfigurationError
from flipshelf_client.signing import Signing
from flipshelf_client.wire import Credentials

ENVIRONMENT = {
    "url": "FLIPSHELF_URL",
    "api_key": "FLIPSHELF_API_KEY",
    "secret": "FLIPSHELF_API_SECRET",
    "signing": "FLIPSHELF_SIGNING",
}
PROFILE_KEYS = frozenset(ENVIRONMENT)
DEFAULT_PROFILE = "default"


class InsecureProfileWarning(UserWarning):
    """The profile file holding a secret can be read by other users."""


def profiles_path(env: Mapping[str, str]) -> Path:
    if chosen := env.get("FLIPSHELF_PROFILES"):
        return Path(chosen).expanduser()
    config_home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "flipshelf" / "profiles.toml"


def read_profile(path: Path, name: str, required: bool) -> dict[str, str]:
    """The named table of the profile file; empty when the file or the default profile is
    missing. A profile asked for by name that does not exist is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigurationError(
                f"profile {name!r} asked for, but {path} does not exist"
            ) from None
        return {}
    except OSError as error:
        raise ConfigurationError(f"cannot read the profile file {path}: {error}") from None
    try:
        profiles: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from None
    profile = profiles.get(name)
    if profile is None:
        if required:
            raise ConfigurationError(f"{path} has no [{name}] profile")
        return {}
    if not isinstance(profile, dict):
        raise ConfigurationError(f"[{name}] in {path} is not a table")
    unknown = set(profile) - PROFILE_KEYS
    if unknown:
        raise ConfigurationError(
            f"[{name}] in {path} has unknown keys {sorted(unknown)}; known: {sorted(PROFILE_KEYS)}"
        )
    if "secret" in profile:
        _warn_if_readable_by_others(path)
    return {key: str(value) for key, value in profile.items()}


def _warn_if_readable_by_others(path: Path) -> None:
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(
            f"{path} holds a secret and other users can read it; run: chmod 600 {path}",
            InsecureProfileWarning,
            stacklevel=4,
        )


def resolve(
    *,
    url: str | None = None,
    api_key: str | None = None,
    secret: str | None = None,
    signing: Signing | str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """Credentials from the arguments, else the environment, else the profile file."""
    env = os.environ if env is None else env
    given = {"url": url, "api_key": api_key, "secret": secret, "signing": signing}
    name = profile or env.get("FLIPSHELF_PROFILE") or DEFAULT_PROFILE
    path = profiles_path(env)
    from_profile = read_profile(path, name, required=name != DEFAULT_PROFILE)
    chosen: dict[str, str] = {}
    for key, value in given.items():
        found = value if value is not None else env.get(ENVIRONMENT[key]) or from_profile.get(key)
        if found:
            chosen[key] = str(found)
    missing = [key for key in ("url", "api_key", "secret") if key not in chosen]
    if missing:
        where = ", ".join(ENVIRONMENT[key] for key in missing)
        raise ConfigurationError(
            f"missing {', '.join(missing)}: pass them, set {where}, or add them to the "
            f"[{name}] profile of {path}"
        )
    try:
        method = Signing(chosen.get("signing", Signing.MD5))
    except ValueError:
        known = ", ".join(s.value for s in Signing)
        raise ConfigurationError(f"unknown signing {chosen['signing']!r}; known: {known}") from None
    return Credentials(chosen["url"], chosen["api_key"], chosen["secret"], method)
