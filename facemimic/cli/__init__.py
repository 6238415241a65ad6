"""The ``facemimic`` command line: a thin click group over the library.

Commands live one per module in this package (``facemimic/cli/<name>.py`` defines ``command``) and
are discovered without importing them, so ``facemimic --help`` never loads MediaPipe, PyAV or
NumPy: each command module imports only click at the top and the library inside its function.
"""

from __future__ import annotations

import pkgutil
import sys
from importlib import import_module

import click

from .. import __version__


def _command_modules() -> dict[str, str]:
    names = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            names[info.name.replace("_", "-")] = info.name
    return names


class LazyGroup(click.Group):
    """Finds ``command`` objects in sibling modules on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_command_modules()))

    def get_command(self, ctx: click.Context, name: str):
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        module = _command_modules().get(name)
        if module is None:
            return None
        return import_module(f"{__name__}.{module}").command

    def invoke(self, ctx: click.Context):
        from ..common.signals import TERMINATED_EXIT, Terminated, interrupt_behind, sigterm_unwinds
        from ..errors import FaceMimicError

        with sigterm_unwinds():  # SIGTERM unwinds like Ctrl-C: no temporary file is left
            try:
                return super().invoke(ctx)
            except (SystemExit, click.exceptions.Exit, click.ClickException):
                raise  # a command's own exit or message
            except BaseException as e:
                # An interrupt counts even where a library wrapped it in its own error (MediaPipe's
                # import, cut short inside a dataclass's __set_name__, re-raises a RuntimeError).
                interrupt = interrupt_behind(e)
                if interrupt is not None:
                    terminated = isinstance(interrupt, Terminated)
                    click.echo("Terminated." if terminated else "Interrupted.", err=True)
                    _last_line_said()
                    sys.exit(TERMINATED_EXIT if terminated else 130)
                if isinstance(e, FaceMimicError):
                    # One line, no traceback: the message names the file and the problem.
                    raise click.ClickException(str(e)) from None
                if isinstance(e, OSError):
                    # Last resort for a system error no stage turned into a FaceMimicError (a full
                    # disk, a vanished folder): still one line, never a traceback.
                    raise click.ClickException(describe_os_error(e)) from None
                raise


def _last_line_said() -> None:
    """After ``Terminated.`` / ``Interrupted.`` nothing more reaches the terminal: native threads
    still winding down (MediaPipe's graph logs "Feedback manager ..." from its own thread, at times
    after the landmarker's quiet start has ended) would print after the one line the user asked
    for, so file descriptor 2 is pointed at /dev/null for the rest of the process."""
    import os

    try:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters, closed streams)
        pass


def describe_os_error(e: OSError) -> str:
    """``"<file>: <problem>"`` for an ``OSError`` (``"<problem>"`` when it names no file)."""
    from ..common.files import DISK_PROBLEMS

    text = e.strerror or str(e) or type(e).__name__
    problem = DISK_PROBLEMS.get(e.errno) or text[:1].lower() + text[1:]
    return f"{e.filename}: {problem}" if e.filename else problem


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="facemimic")
def cli() -> None:
    """FaceMimic: AI facial expressions for avatars.

    Capture faces from images, videos and webcams into VRCFaceTracking Unified Expressions,
    and send them on to VRChat, VTuber apps and animation tools.
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="facemimic")
