"""The dashboard's chart: opt-ins above the line, opt-outs below, one pair of bars a day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optledger.core.subscriber_ledger import ConsentDay

WIDTH = 720
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_RIGHT = 24
MARGIN_BOTTOM = 24
BAR_GAP = 2


@dataclass(frozen=True)
class Bar:
    """One rectangle, in the SVG's coordinates, with what it counts."""

    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the template draws."""

    width: int
    height: int
    axis_y: float
    bottom_y: float
    left: int
    opt_ins: list[Bar]
    opt_outs: list[Bar]
    top_label: int
    day_labels: list[tuple[float, str]]
    total_in: int
    total_out: int


def consent_chart(days: Sequence[ConsentDay]) -> Chart:
    """Bars scaled to the busiest day, with a date under every seventh day back from today."""
    plot_height = HEIGHT - MARGIN_BOTTOM - 8
    most = max([1] + [max(day.opt_ins, day.opt_outs) for day in days])
    # Opt-ins get the upper two thirds: they are usually the larger number.
    axis_y = 8 + plot_height * 2 / 3
    up, down = axis_y - 8, plot_height / 3
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(len(days), 1)
    width = max(slot - BAR_GAP, 1)
    ins, outs, labels = [], [], []
    for index, day in enumerate(days):
        x = MARGIN_LEFT + index * slot
        label = day.day.isoformat()
        rise = up * day.opt_ins / most
        ins.append(Bar(x, axis_y - rise, width, rise, day.opt_ins, label))
        outs.append(Bar(x, axis_y, width, down * day.opt_outs / most, day.opt_outs, label))
        if (len(days) - 1 - index) % 7 == 0:
            labels.append((x + width / 2, day.day.strftime("%b %d")))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        axis_y=axis_y,
        bottom_y=axis_y + down,
        left=MARGIN_LEFT,
        opt_ins=ins,
        opt_outs=outs,
        top_label=most,
        day_labels=labels,
        total_in=sum(day.opt_ins for day in days),
        total_out=sum(day.opt_outs for day in days),
    )
