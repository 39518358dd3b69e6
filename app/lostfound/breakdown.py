"""A match's score breakdown drawn as bars, one per channel: how far above unrelated pairs the
channel puts the pair (its calibrated z-score), with its weight as the bar's strength, and the
gates that fired in red. The numbers are in the tooltip (``breakdown_tooltip``)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

CHANNEL_NAMES = {"text": "text↔text", "image": "photo↔photo", "cross": "text↔photo"}
SHORT_NAMES = {"text": "text", "image": "photo", "cross": "text↔photo"}
CHANNEL_COLORS = {"text": "#2471a3", "image": "#16a085", "cross": "#8e44ad"}
GATE_NAMES = {"image_gate": "photo gate: score 0", "category_cap": "categories differ: capped"}
Z_RANGE = (-2.0, 4.0)  # calibrated z drawn on this range; 0 = like an unrelated pair
ROLE = Qt.ItemDataRole.UserRole + 7  # the breakdown dict on the item


def breakdown_tooltip(breakdown: dict) -> str:
    lines = []
    for ch, name in CHANNEL_NAMES.items():
        b = breakdown.get(ch) or {}
        if b.get("raw") is None:
            continue
        lines.append(f"{name}: cosine {b['raw']:.3f} → z {b['calibrated']:+.2f} against unrelated pairs, "
                     f"weight {b['weight']:.2f}")
    lines += [GATE_NAMES.get(g, g) for g in breakdown.get("gates", [])]
    return "\n".join(lines) or "no channel"


class BreakdownDelegate(QStyledItemDelegate):
    def paint(self, painter, option, index) -> None:
        breakdown = index.data(ROLE)
        if not isinstance(breakdown, dict):
            return super().paint(painter, option, index)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight().color().lighter(170))
        channels = [ch for ch in CHANNEL_NAMES if (breakdown.get(ch) or {}).get("raw") is not None]
        gates = breakdown.get("gates", [])
        rows = len(channels) + (1 if gates else 0)
        if not rows:
            return
        painter.save()
        r = QRectF(option.rect).adjusted(4, 3, -4, -3)
        h = min(16.0, r.height() / rows)
        label_w = min(86.0, r.width() * 0.35)
        bar_x, bar_w = r.left() + label_w, r.width() - label_w - 44
        zero = bar_x + bar_w * (-Z_RANGE[0]) / (Z_RANGE[1] - Z_RANGE[0])
        font = painter.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        label_w = min(label_w, max(metrics.horizontalAdvance(SHORT_NAMES[ch]) for ch in channels) + 6.0)
        bar_x, bar_w = r.left() + label_w, r.width() - label_w - 36
        zero = bar_x + bar_w * (-Z_RANGE[0]) / (Z_RANGE[1] - Z_RANGE[0])
        for i, ch in enumerate(channels):
            b = breakdown[ch]
            y = r.top() + i * h
            painter.setPen(QColor("#4a5a6a"))
            painter.drawText(QRectF(r.left(), y, label_w - 4, h), Qt.AlignmentFlag.AlignVCenter, SHORT_NAMES[ch])
            z = max(Z_RANGE[0], min(Z_RANGE[1], float(b["calibrated"])))
            end = bar_x + bar_w * (z - Z_RANGE[0]) / (Z_RANGE[1] - Z_RANGE[0])
            color = QColor(CHANNEL_COLORS[ch])
            color.setAlpha(int(90 + 165 * max(0.0, min(1.0, float(b["weight"])))))
            painter.fillRect(QRectF(min(zero, end), y + h * 0.2, abs(end - zero), h * 0.6), color)
            painter.setPen(QColor("#24323f"))
            painter.drawText(QRectF(bar_x + bar_w + 4, y, 32, h), Qt.AlignmentFlag.AlignVCenter,
                             f"{b['calibrated']:+.1f}")
        painter.setPen(QPen(QColor("#95a5a6"), 1, Qt.PenStyle.DotLine))
        painter.drawLine(int(zero), int(r.top()), int(zero), int(r.top() + len(channels) * h))
        if gates:
            painter.setPen(QColor("#c0392b"))
            painter.drawText(QRectF(r.left(), r.top() + len(channels) * h, r.width(), h),
                             Qt.AlignmentFlag.AlignVCenter, " · ".join(GATE_NAMES.get(g, g) for g in gates))
        painter.restore()
