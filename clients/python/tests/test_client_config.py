"""Where a client finds its server and key pair: arguments win over the environment, the
environment over the profile file, setting by setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flipshelf_client import Client, ConfigurationError, InsecureProfileWarning, Signing
from flipshelf_client.config import profiles_path, resolve

PROFILES = """
[default]
url = "http://profile.test"
api_key = "PROFILE-KEY"
secret = "profile-secret"

[staging]
url = "http://staging.test"
api_key = "STAGING-KEY"
secret = "staging-secret"
signing = "hmac-sha256"
"""


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    path = tmp_path / "flipshelf" / "profiles.toml"
    path.parent.mkdir()
    path.write_text(PROFILES)
    path.chmod(0o600)
    return path


def env_for(profiles: Path, **values: str) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(profiles.parent.parent), **values}


def test_the_default_profile_is_read_from_the_config_home(profiles: Path) -> None:
    found = resolve(env=env_for(profiles))
    assert (found.url, found.api_key, found.secret) == (
        "http://profile.test",
        "PROFILE-KEY",
        "profile-secret",
    )
    assert found.signing is Signing.MD5


def test_the_environment_wins_over_the_profile_setting_by_setting(profiles: Path) -> None:
    env = env_for(profiles, FLIPSHELF_API_KEY="ENV-KEY", FLIPSHELF_SIGNING="md5-strict")
    found = resolve(env=env)
    assert found.api_key == "ENV-KEY" and found.signing is Signing.MD5_STRICT
    assert found.url == "http://profile.test" and found.secret == "profile-secret"


def test_arguments_win_over_everything(profiles: Path) -> None:
    env = env_for(profiles, FLIPSHELF_URL="http://env.test", FLIPSHELF_API_SECRET="env-secret")
    found = resolve(url="http://arg.test", secret="arg-secret", env=env)
    assert (found.url, found.api_key, found.secret) == (
        "http://arg.test",
        "PROFILE-KEY",
        "arg-secret",
    )


def test_a_named_profile_from_the_argument_or_the_environment(profiles: Path) -> None:
    assert resolve(profile="staging", env=env_for(profiles)).api_key == "STAGING-KEY"
    found = resolve(env=env_for(profiles, FLIPSHELF_PROFILE="staging"))
    assert found.url == "http://staging.test" and found.signing is Signing.HMAC_SHA256


def test_flipshelf_profiles_names_another_file(tmp_path: Path, profiles: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('[default]\nurl = "http://other.test"\napi_key = "K"\nsecret = "S"\n')
    other.chmod(0o600)
    assert resolve(env={"FLIPSHELF_PROFILES": str(other)}).url == "http://other.test"


def test_environment_alone_needs_no_profile_file(tmp_path: Path) -> None:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "none"),
        "FLIPSHELF_URL": "http://env.test",
        "FLIPSHELF_API_KEY": "K",
        "FLIPSHELF_API_SECRET": "S",
    }
    assert resolve(env=env).url == "http://env.test"
    assert profiles_path({"XDG_CONFIG_HOME": "/c"}) == Path("/c/flipshelf/profiles.toml")


def test_what_is_missing_is_named_with_where_to_put_it(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "FLIPSHELF_URL": "http://env.test"}
    with pytest.raises(ConfigurationError, match="missing api_key, secret") as raised:
        resolve(env=env)
    assert "FLIPSHELF_API_KEY" in str(raised.value) and "FLIPSHELF_API_SECRET" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[default\n", "not valid TOML"),
        ('default = "x"\n', "not a table"),
        ('[default]\nurl = "http://x"\nsecrit = "typo"\n', "unknown keys"),
    ],
)
def test_a_broken_profile_file_is_a_clear_error(profiles: Path, text: str, message: str) -> None:
    profiles.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        resolve(env=env_for(profiles))


def test_a_missing_named_profile_is_an_error_but_a_missing_default_is_not(profiles: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"no \[nope\] profile"):
        resolve(profile="nope", env=env_for(profiles))
    profiles.unlink()
    with pytest.raises(ConfigurationError, match="does not exist"):
        resolve(profile="staging", env=env_for(profiles))
    found = resolve(url="http://a.test", api_key="K", secret="S", env=env_for(profiles))
    assert found.url == "http://a.test"


def test_an_unknown_signing_method_is_refused(profiles: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown signing 'sha1'"):
        resolve(env=env_for(profiles, FLIPSHELF_SIGNING="sha1"))


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_profile_with_a_secret_readable_by_others_warns(profiles: Path) -> None:
    profiles.chmod(0o644)
    with pytest.warns(InsecureProfileWarning, match="chmod 600"):
        resolve(env=env_for(profiles))


def test_from_env_builds_a_client(profiles: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "FLIPSHELF_URL",
        "FLIPSHELF_API_KEY",
        "FLIPSHELF_API_SECRET",
        "FLIPSHELF_PROFILE",
        "FLIPSHELF_PROFILES",
        "FLIPSHELF_SIGNING",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(profiles.parent.parent))
    monkeypatch.setenv("FLIPSHELF_API_KEY", "ENV-KEY")
    with Client.from_env(profile="staging", timeout=5) as client:
        assert client.credentials.api_key == "ENV-KEY"
        assert client.credentials.endpoint == "http://staging.test/v1/"
        assert client.credentials.signing is Signing.HMAC_SHA256
