"""Plain-text tables for the command line."""

from __future__ import annotations

import shutil
from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None) -> str:
    """Rows under headers in aligned columns; the last column wraps to the terminal width."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    cells = [list(headers), *[list(map(str, row)) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers) - 1)]
    indent = sum(widths) + 2 * len(widths)
    last = max(width - indent, 30)
    lines = []
    for row in cells:
        wrapped = _wrap(row[-1], last)
        head = "".join(cell.ljust(w + 2) for cell, w in zip(row[:-1], widths, strict=True))
        lines.append((head + wrapped[0]).rstrip())
        lines.extend((" " * indent + more).rstrip() for more in wrapped[1:])
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return lines
