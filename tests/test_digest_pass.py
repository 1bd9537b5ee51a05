"""The preview's background PDF pass: the edited day first, stopped by a save, resumed without redoing."""

from __future__ import annotations

import threading
import time

import pytest

from briefgen.build import build
from briefgen.config import load_config
from briefgen.engine.digests import plan_digests
from briefgen.preview.digest_pass import Pass, make_digests, order

WITH_DIGESTS = {"briefgen.yaml": "digest:\n  enabled: true\njobs: 1\n"}
CALL = "content/2023-06-14-call.md"


def quiet(line: str) -> None:
    """Swallow the pass's terminal output."""


def pass_of(config, urgent=frozenset(), stop=None):  # type: ignore[no-untyped-def]
    return Pass(config, frozenset(urgent), stop or threading.Event(), threading.Lock(), quiet)


def test_the_edited_day_comes_first_then_the_newest(make_site):
    project = make_site(WITH_DIGESTS)
    config = load_config(project.root)
    build(config, digests=False)  # as the preview does: pages first, no PDF
    plan = plan_digests(config)
    assert plan is not None
    assert order(plan, frozenset()) == ["digests/2023-06-18.pdf", "digests/2023-06-14.pdf"]
    edited = frozenset({project.root / CALL})
    assert order(plan, edited) == ["digests/2023-06-14.pdf", "digests/2023-06-18.pdf"]


@pytest.mark.slow
def test_a_stopped_pass_keeps_what_it_finished_and_the_next_makes_only_the_rest(make_site):
    project = make_site(WITH_DIGESTS)
    config = load_config(project.root)
    build(config, digests=False)
    digests = project.root / "site/digests"
    stop = threading.Event()

    def stop_once_the_edited_day_is_in_place() -> None:
        while not (digests / "2023-06-14.pdf").exists():
            time.sleep(0.005)
        stop.set()

    threading.Thread(target=stop_once_the_edited_day_is_in_place, daemon=True).start()
    assert not make_digests(pass_of(config, {project.root / CALL}, stop))  # stopped
    assert (digests / "2023-06-14.pdf").read_bytes().startswith(b"%PDF-")
    assert not (digests / "2023-06-18.pdf").exists()  # its worker was ended halfway
    plan = plan_digests(config)
    assert plan is not None and plan.todo == ["digests/2023-06-18.pdf"]  # resumes where it stopped
    assert make_digests(pass_of(config))
    assert (digests / "2023-06-18.pdf").read_bytes().startswith(b"%PDF-")
    plan = plan_digests(config)
    assert plan is not None and plan.todo == []
    before = {p.name: p.stat().st_mtime_ns for p in digests.iterdir()}
    result = build(config)  # `briefgen build` afterwards finds every digest up to date
    assert not [p for p in result.changed if p.endswith(".pdf")]
    assert {p.name: p.stat().st_mtime_ns for p in digests.iterdir()} == before


@pytest.mark.slow
def test_a_digest_made_from_a_file_saved_since_is_not_put_in_place(make_site):
    project = make_site(WITH_DIGESTS)
    config = load_config(project.root)
    build(config, digests=False)
    plan = plan_digests(config)
    assert plan is not None
    call = project.root / CALL
    call.write_text(call.read_text("utf-8").replace("appel", "long appel"), "utf-8")
    from briefgen.engine.digests import commit_digests

    assert commit_digests(config, plan, {"digests/2023-06-14.pdf": b"%PDF-stale"}) == []
    assert commit_digests(config, plan, {"digests/2023-06-18.pdf": b"%PDF-fine"}) == [
        "digests/2023-06-18.pdf"
    ]
    assert not (project.root / "site/digests/2023-06-14.pdf").exists()
