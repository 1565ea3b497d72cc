"""Pictures for coordinators, drawn with matplotlib into PNG bytes.

The object API (``Figure`` + the Agg canvas) keeps no global state, so a chart can be drawn
in a worker thread while the event loop goes on sending. DejaVu Sans ships with matplotlib
and has the Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

FONT = "DejaVu Sans"
GREEN, GREY, ORANGE = "#2e7d32", "#9e9e9e", "#ef6c00"


@dataclass(frozen=True)
class ConsentBar:
    label: str  # the trial: time and title
    agreed: int
    declined: int
    no_answer: int


def consent_chart(bars: list[ConsentBar], title: str, legend: tuple[str, str, str]) -> bytes:
    """Stacked bars, one per trial: consents given, refused, not answered yet; each part
    carries its number, so the picture reads without an axis."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 1.3 + 0.75 * len(bars)), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    rows = list(range(len(bars)))
    left = [0] * len(bars)
    for values, colour, name in (([b.agreed for b in bars], GREEN, legend[0]),
                                 ([b.declined for b in bars], GREY, legend[1]),
                                 ([b.no_answer for b in bars], ORANGE, legend[2])):
        part = ax.barh(rows, values, left=left, color=colour, label=name, height=0.6)
        ax.bar_label(part, labels=[str(v) if v else "" for v in values], label_type="center",
                     color="white", fontweight="bold", fontfamily=FONT)
        left = [a + v for a, v in zip(left, values, strict=True)]
    ax.set_yticks(rows, [_wrap(b.label) for b in bars], fontfamily=FONT)
    ax.invert_yaxis()  # the earliest trial on top, as in the text
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    fig.suptitle(title, x=0.02, ha="left", fontweight="bold", fontfamily=FONT)
    fig.legend(loc="upper right", ncols=3, frameon=False, prop={"family": FONT})
    fig.tight_layout(rect=(0, 0, 1, 0.9 if len(bars) > 2 else 0.8))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _wrap(label: str, width: int = 30) -> str:
    """Two lines at most: long trial titles are cut with an ellipsis."""
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], lines[1][:width - 1] + "…"]
    return "\n".join(lines)
