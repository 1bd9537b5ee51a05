"""The `briefgen` command: parses arguments, prints problems as `path:line: message`, sets exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .build import build
from .commands.report import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    print_error,
    print_note,
    print_problem,
    print_problems,
    terminal_progress,
)
from .config import SiteConfig, load_config
from .errors import BriefgenError, Problem, Problems
from .lock import project_lock


def _port(text: str) -> int:
    """A TCP port number from the command line; anything else is a usage error."""
    port = int(text) if text.isdigit() else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0 to 65535)")
    return port


def _title(text: str) -> str:
    """An article's title from the command line: blank is a usage error (the build would refuse it)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the title must not be empty")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefgen",
        description="Build a linked briefing site (and daily PDF digests) from Markdown articles "
        "with YAML front matter naming people, topics, places and events.",
        epilog="Settings are read from briefgen.yaml in the project folder (see docs/config.md). "
        "Run 'briefgen COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"briefgen {__version__}")
    parser.add_argument(
        "-C",
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="project folder holding briefgen.yaml (default: current folder)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def content_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--content",
            type=Path,
            metavar="DIR",
            help="content folder (default: content, or paths.content)",
        )
        sub.add_argument(
            "--strict",
            action="store_true",
            default=None,
            help="treat every warning (unknown person, shared alias) as an error",
        )
        sub.add_argument(
            "--drafts",
            action="store_true",
            default=None,
            help="include articles marked draft: true",
        )

    build_cmd = commands.add_parser(
        "build",
        help="build the site into the output folder",
        description="Read content/, check it, and write the site. The output folder changes only "
        "if the whole build succeeds.",
    )
    content_options(build_cmd)
    build_cmd.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: site, or paths.output)"
    )
    build_cmd.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    build_cmd.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="processes that parse and render, this one included (default: one per core)",
    )
    build_cmd.add_argument(
        "--no-digests", action="store_true", help="do not render PDF digests in this build"
    )
    build_cmd.add_argument(
        "--no-search",
        action="store_true",
        help="do not make the search index in this build (the next build without it does)",
    )

    check_cmd = commands.add_parser(
        "check",
        help="validate content and templates without writing anything",
        description="Report every problem as path:line: message; exit 1 if there is any error.",
    )
    content_options(check_cmd)

    new_cmd = commands.add_parser(
        "new",
        help="create a new article with front matter to fill in",
        description="Write content/YYYY-MM-DD-slug.md with every front-matter field ready to fill.",
    )
    new_cmd.add_argument("title", type=_title, help="the article's title")
    new_cmd.add_argument("--date", help="ISO date or datetime (default: now)")
    new_cmd.add_argument("--lang", help="language of the article (default: the site language)")
    new_cmd.add_argument("--content", type=Path, metavar="DIR", help="content folder")
    import_cmd = commands.add_parser(
        "import",
        help="turn raw articles (pasted text, saved web pages) into drafts to review",
        description="Write one new draft per SOURCE in the content folder, with title, date, "
        "people, places, topics, events, summary and source inferred and listed for review at "
        "the top of its front matter. An existing file is never replaced. See docs/import.md.",
    )
    import_cmd.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="a text file, a saved HTML page, or - for stdin"
    )
    import_cmd.add_argument("--content", type=Path, metavar="DIR", help="content folder")
    import_cmd.add_argument("--lang", help="the articles' language (default: detected)")
    import_cmd.add_argument("--date", help="the articles' date, YYYY-MM-DD or ISO (default: from the source)")
    import_cmd.add_argument("--source-name", metavar="NAME", help="where the article comes from")
    import_cmd.add_argument("--source-url", metavar="URL", help="the article's address")
    import_cmd.add_argument(
        "--draft",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write draft: true, so that it is reviewed before it is published (default)",
    )
    digest_cmd = commands.add_parser(
        "digest",
        help="build the PDF digest of one day",
        description="Write OUT/digests/YYYY-MM-DD.pdf for a day that has articles.",
    )
    digest_cmd.add_argument("--date", required=True, help="the day, as YYYY-MM-DD")
    content_options(digest_cmd)
    digest_cmd.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: site)")

    mail_cmd = commands.add_parser(
        "mail",
        help="email one day's digest to the recipients, exactly once each",
        description="Send the day's PDF digest over SMTP (settings: mail in briefgen.yaml and "
        "BRIEFGEN_SMTP_* / BRIEFGEN_MAIL_* environment variables). A recipient who already "
        "received this digest is skipped.",
    )
    mail_cmd.add_argument("--date", required=True, help="the day, as YYYY-MM-DD")
    content_options(mail_cmd)
    mail_cmd.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: site)")
    mail_cmd.add_argument("--to", metavar="ADDR", help="send a test to this one address only")
    mail_cmd.add_argument(
        "--dry-run",
        metavar="DIR",
        nargs="?",
        const=Path("outbox"),
        type=Path,
        help="write .eml files into DIR (default: outbox) and send nothing",
    )
    mail_cmd.add_argument("--resend", action="store_true", help="send again to those already served")
    mail_cmd.add_argument(
        "--allow-relative-links",
        action="store_true",
        help="send even without base_url, though the links of the email and the PDF cannot work",
    )

    serve_cmd = commands.add_parser(
        "serve",
        help="preview the site, rebuilding and reloading the browser on every save",
        description="Build, serve the output folder, and watch content, templates, static files "
        "and the config; open pages reload when their output changes.",
    )
    content_options(serve_cmd)
    serve_cmd.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: site)")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve_cmd.add_argument(
        "--port", type=_port, default=8000, help="port (default: 8000; 0 picks a free one)"
    )
    return parser


def _config(args: argparse.Namespace) -> SiteConfig:
    root = args.project.resolve()
    cwd = Path.cwd()
    overrides = {
        "content": (cwd / args.content) if getattr(args, "content", None) else None,
        "output": (cwd / args.out) if getattr(args, "out", None) else None,
        "strict": getattr(args, "strict", None),
        "drafts": getattr(args, "drafts", None),
        "jobs": getattr(args, "jobs", None),
    }
    return load_config(root, **overrides)


def cmd_build(args: argparse.Namespace) -> int:
    config = _config(args)
    with terminal_progress(args.quiet) as progress:
        result = build(
            config,
            progress=progress,
            digests=False if args.no_digests else None,
            waiting=print_note,
            search_index=not args.no_search,
        )
    print_problems(result.warnings, "warning")
    if not args.quiet:
        print(result.summary())
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args)
    with terminal_progress(quiet=False) as progress:
        result = build(config, write=False, progress=progress)
    print_problems(result.warnings, "warning")
    print_problems(result.suggestions, "suggestion")
    print(f"{result.checked()}: no errors", file=sys.stderr)
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from .content.fields import DATE_HINT, parse_when  # the model and Babel load only for the commands
    from .i18n import Translator  # that use them: a build with nothing to do starts faster
    from .slugs import title_slug

    config = _config(args)
    tz = config.tz
    if args.date:
        try:
            parse_when(args.date, tz)
        except ValueError:
            print_error(f"--date '{args.date}' is not a valid date; {DATE_HINT}")
            return EXIT_USAGE
        stamp = args.date
    else:
        stamp = dt.datetime.now(tz).replace(microsecond=0, second=0).isoformat()
    content_dir = config.content_dir
    path = content_dir / f"{stamp[:10]}-{title_slug(args.title)}.md"
    if path.exists():
        print_error(f"{path} already exists")
        return EXIT_PROBLEMS
    title = args.title.replace("\\", "\\\\").replace('"', '\\"')
    lang = args.lang or config.language
    t = Translator(config.language)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "---\n"
        f'title: "{title}"\n'
        f"date: {stamp}\n"
        f"lang: {lang}\n"
        f'summary: ""        # {t("new_summary")}\n'
        f"actors: []         # {t('new_actors')}\n"
        "topics: []\n"
        "places: []\n"
        f'events: []         # - {{date: {t("new_date")}, title: "...", actors: [...], places: [...]}}\n'
        "source:\n"
        '  name: ""\n'
        '  url: ""\n'
        f"  published:       # {t('new_date')}\n"
        "draft: true\n"
        "---\n\n"
        f"{t('new_body')}\n",
        encoding="utf-8",
    )
    print(path)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .commands.importing import run_import

    return run_import(_config(args), args)


def cmd_digest(args: argparse.Namespace) -> int:
    from .commands.digest import cmd_digest as run_digest

    config = _config(args)
    with project_lock(config.root, "digest", print_note):
        return run_digest(config, args)


def cmd_mail(args: argparse.Namespace) -> int:
    from .commands.mail import cmd_mail as run_mail

    return run_mail(_config(args), args)


def cmd_serve(args: argparse.Namespace) -> int:
    from .commands.serve import cmd_serve as run_serve

    return run_serve(_config(args), args)


COMMANDS = {
    "build": cmd_build,
    "check": cmd_check,
    "new": cmd_new,
    "import": cmd_import,
    "digest": cmd_digest,
    "mail": cmd_mail,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    return _run(_parser().parse_args(argv))


def _run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except Problems as errors:
        print_problems(errors.warnings, "warning")
        print_problems(problem for problem in errors.problems if isinstance(problem, Problem))
        print_note(f"{errors}; nothing was written")
        return EXIT_PROBLEMS
    except Problem as error:
        print_problem(error)
        return EXIT_PROBLEMS
    except BriefgenError as error:
        print_error(str(error))
        return EXIT_PROBLEMS
    except OSError as error:  # a file that cannot be read or written: the user's to fix, no traceback
        where = f"{error.filename}: " if error.filename else ""
        print_error(f"{where}{error.strerror or error}")
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print_note("interrupted")
        return EXIT_INTERRUPTED


# Commands after which the process holds nothing to clean up: no thread, no child, no open file.
ONE_SHOT = frozenset({"build", "check"})


def run() -> None:
    """The `briefgen` command. A one-shot command runs without the cyclic garbage collector and
    leaves without tearing the interpreter down: either would examine every object the build
    made, some 400,000 at 10,000 articles, for a third of a second each, to free memory that the
    process is about to give back anyway."""
    args = _parser().parse_args()
    if args.command in ONE_SHOT:
        gc.disable()
    code = _run(args)
    if args.command not in ONE_SHOT:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
