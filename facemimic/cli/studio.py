"""``facemimic studio``: a local web app for live capture, avatars and streaming."""

from __future__ import annotations

import click


@click.command("studio")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback makes the studio reachable from the "
                   "network (a warning is printed).")
@click.option("--no-browser", is_flag=True, help="Do not open the browser; just print the URL.")
@click.option("--workspace", type=click.Path(file_okay=False), default="facemimic-studio", show_default=True,
              help="Folder for profiles, recorded takes and uploads; the studio reads and writes nowhere else.")
def command(port, host, no_browser, workspace):
    """Start the studio: webcam -> Unified Expressions -> 2D/3D avatars, VRChat and VMC, in the browser.

    It prints a URL with a per-launch token and opens it; every request must carry that token.

    \b
    Examples:
      facemimic studio
      facemimic studio --no-browser --port 9876 --workspace ~/takes
    """
    from facemimic.studio.launch import run_studio

    try:
        run_studio(workspace=workspace, host=host, port=port, open_browser=not no_browser,
                   echo=lambda line: click.echo(line, err=line.startswith("Warning")))
    except KeyboardInterrupt:
        click.echo("Studio stopped.", err=True)
