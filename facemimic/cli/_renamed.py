"""A ``click.Choice`` that refuses a renamed value with its new name (never maps it silently)."""

from __future__ import annotations

import click


class RenamedChoice(click.Choice):
    """``click.Choice(choices)``; a value in ``renamed`` fails with "X is now called Y"."""

    def __init__(self, choices, renamed: dict[str, str]) -> None:
        super().__init__(choices)
        self.renamed = dict(renamed)

    def convert(self, value, param, ctx):
        if value in self.renamed:
            self.fail(f"{value!r} is now called {self.renamed[value]!r} (choose from {', '.join(self.choices)})",
                      param, ctx)
        return super().convert(value, param, ctx)
