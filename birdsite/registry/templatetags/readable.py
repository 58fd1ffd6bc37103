"""``{% load readable %}``: a model's metrics and provenance as headings, labelled values and tables
instead of a raw JSON dump (issue 14: staff read them, they should not have to parse them)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
_MAX_DEPTH = 6  # metrics nest a few levels (per dataset, per split); deeper is shown as text


def _label(key: Any) -> str:
    text = str(key).replace("_", " ").strip()
    special = {"top1": "top-1", "top5": "top-5", "n": "photos", "ece": "calibration error (ECE)"}
    return special.get(text.lower(), text[:1].upper() + text[1:])


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if value is None:
        return "—"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple))


def _table(rows: dict[str, dict[str, Any]]) -> SafeString:
    """A dict of flat dicts (e.g. per dataset: n, top1, top5) reads best as one table."""
    columns = list(dict.fromkeys(k for row in rows.values() for k in row))
    head = format_html_join("", '<th scope="col" class="num">{}</th>', ((_label(c),) for c in columns))
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (
                name,
                format_html_join(
                    "", '<td class="num">{}</td>', ((_scalar(row.get(c, "")),) for c in columns)
                ),
            )
            for name, row in rows.items()
        ),
    )
    return format_html(
        '<table class="data readable"><thead><tr><th></th>{}</tr></thead><tbody>{}</tbody></table>',
        head,
        body,
    )


def _render(value: Any, depth: int) -> SafeString:
    if _is_scalar(value) or depth >= _MAX_DEPTH:
        return format_html("{}", _scalar(value))
    if isinstance(value, (list, tuple)):
        if all(_is_scalar(v) for v in value):
            return format_html("{}", ", ".join(_scalar(v) for v in value) or "—")
        return format_html(
            "<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((_render(v, depth + 1),) for v in value))
        )
    if not value:
        return mark_safe("—")
    if all(isinstance(v, dict) and v and all(_is_scalar(x) for x in v.values()) for v in value.values()):
        return _table(value)
    items = format_html_join(
        "", "<dt>{}</dt><dd>{}</dd>", ((_label(k), _render(v, depth + 1)) for k, v in value.items())
    )
    return format_html('<dl class="readable">{}</dl>', items)


@register.simple_tag
def readable(value: Any) -> SafeString:
    return _render(value, 0)
