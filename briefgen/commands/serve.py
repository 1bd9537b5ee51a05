"""`briefgen serve`: the preview at the edge. It checks the output folder, starts the preview with
a builder that rereads briefgen.yaml, prints what the preview logs, and stops on Ctrl-C or SIGTERM;
serve.py holds the preview itself.
"""

from __future__ import annotations

import argparse
import select
import signal
import socket
import sys
import threading
import time
from types import FrameType

from .. import urls
from ..config import SiteConfig, load_config
from ..preview.building import SiteBuilder
from ..preview.http import is_loopback
from ..preview.server import STOP_GRACE_SECONDS, Preview
from ..preview.watch import project_sources
from ..writer import check_output_dir
from .report import EXIT_OK, progress_line


def print_line(line: str) -> None:
    """What the preview logs, to stderr at once."""
    print(line, file=sys.stderr, flush=True)


class _Stop(BaseException):
    """Raised by the SIGINT/SIGTERM handler to leave the wait in cmd_serve (a BaseException, like
    KeyboardInterrupt, so that no `except Exception` on the way swallows it)."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def _wait_for_signals() -> None:
    """Sleep until a signal handler raises, however long that is.

    The kernel may deliver a signal to any thread; Python then runs the handler only when the main
    thread next runs Python code, which a plain sleep would delay until it ends. The wakeup fd is
    written whichever thread got the signal, so the main thread, waiting on it, wakes at once.
    """
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    try:
        while True:
            select.select([reader], [], [])
            reader.recv(512)
    finally:
        signal.set_wakeup_fd(previous)
        reader.close()
        writer.close()


def cmd_serve(config: SiteConfig, args: argparse.Namespace) -> int:
    """`briefgen serve`: build, serve on loopback, rebuild and reload on each save; 0 on Ctrl-C/SIGTERM."""
    host: str = getattr(args, "host", "127.0.0.1")
    port: int = getattr(args, "port", 8000)
    output = config.output_dir
    check_output_dir(output, config.root, config.content_dir)  # never serve (or clean) the project itself
    overrides = {
        # --content and --out were resolved once; the output folder being served cannot move
        "content": config.content_dir if getattr(args, "content", None) else None,
        "output": config.paths.output,  # as `briefgen build` has it: both then share the cache
        "strict": getattr(args, "strict", None),
        "drafts": getattr(args, "drafts", None),
    }
    # the first build shows its stages, as `briefgen build` does; any line logged clears them first
    progress = progress_line(quiet=False)

    def log(line: str) -> None:
        if progress is not None:
            progress.clear()
        print_line(line)

    builder = SiteBuilder(
        config.root, lambda: load_config(config.root, **overrides), log=log, progress=progress
    )
    if not is_loopback(host):
        print_line(
            f"warning: listening on {host or 'every address'}: anyone who can reach this machine can "
            "read the preview, drafts included"
        )
    preview = Preview(
        builder,
        output,
        sources=project_sources(config),
        host=host,
        port=port,
        prefix=urls.base_path(config.base_url),
        log=log,
        first_look=builder.first_look,
    )
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = (
        {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        if in_main_thread
        else {}
    )
    try:
        preview.start()
        if progress is not None:
            progress.clear()
        print(f"serving {output} at {preview.url} (Ctrl-C to stop)", flush=True)
        if in_main_thread:
            _wait_for_signals()
        while True:
            time.sleep(3600)
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        for sig, handler in previous.items():  # a second Ctrl-C while stopping quits at once
            signal.signal(sig, handler)
        builder.close(timeout=0)  # the PDF pass ends its workers now; what it finished is kept
        preview.stop(grace=STOP_GRACE_SECONDS)
        builder.close(timeout=STOP_GRACE_SECONDS)
    print("stopped", flush=True)
    return EXIT_OK
