from __future__ import annotations

from flipshelf.conversion.ways import WayChooser


def _run(chooser: WayChooser, costs: dict[str, float], pages: int) -> list[str]:
    chosen = []
    for _ in range(pages):
        way = chooser.choose()
        chooser.record(way, costs[way])
        chosen.append(way)
    return chosen


def test_each_way_is_measured_once_then_the_cheaper_one_is_used_with_probes() -> None:
    chosen = _run(WayChooser(probe_every=4), {"preview": 0.002, "colour": 0.001}, 12)
    assert chosen[:2] == ["preview", "colour"]
    # Pages 4, 8 and 12 try the dearer way again; every other page uses the cheaper one.
    assert [n for n, way in enumerate(chosen, start=1) if way == "preview"] == [1, 4, 8, 12]


def test_the_choice_follows_the_document_when_its_pages_change() -> None:
    chooser = WayChooser(probe_every=4, weight=0.5)
    assert _run(chooser, {"preview": 0.001, "colour": 0.003}, 7)[-1] == "preview"
    # Maps from here on: the preview costs more than it saves.
    later = dict(enumerate(_run(chooser, {"preview": 0.030, "colour": 0.004}, 16), start=8))
    assert later[9] == "preview"  # still the cheaper by what it knew (page 8 was a probe)
    assert {later[n] for n in range(10, 24) if n % 4} == {"colour"}
    assert {later[n] for n in range(12, 24, 4)} == {"preview"}  # the probes
