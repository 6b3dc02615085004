"""The one script the player page loads: every player script, in order, nothing else."""

from __future__ import annotations

import re

from flipshelf.player.assets import BUNDLE, PLAYER_SCRIPTS, STATIC_DIR, script_bundle


def test_the_bundle_holds_every_player_script_in_order() -> None:
    bundle = script_bundle()
    written = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*.js"))
    # A new script file must join the bundle (or the page would never load it).
    assert sorted(PLAYER_SCRIPTS) == written
    places = []
    for name in PLAYER_SCRIPTS:
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert f"/* {name} */\n{source}" in bundle
        places.append(bundle.index(f"/* {name} */"))
    assert places == sorted(places)
    assert PLAYER_SCRIPTS[0] == "vendor/page-flip.browser.js"  # the engine the others use
    assert PLAYER_SCRIPTS[-1] == "player/player.js"  # it starts the player


def test_each_player_script_keeps_its_strictness_to_itself() -> None:
    """Joined into one script, a file-level "use strict" would turn the files after it strict:
    each of ours is a function with its own."""
    for name in PLAYER_SCRIPTS[1:]:
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL).lstrip()
        assert code.startswith("(function"), name
        assert code.rstrip().endswith("})();"), name


def test_the_player_page_loads_the_bundle_alone() -> None:
    template = (STATIC_DIR.parent / "templates" / "player.html").read_text(encoding="utf-8")
    sources = re.findall(r'<script src="([^"]+)"', template)
    assert sources == ["{{ src }}", "{{ static }}/{{ bundle }}{{ version }}"]
    assert BUNDLE not in PLAYER_SCRIPTS
