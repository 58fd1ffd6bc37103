"""``{% load confidence %}``: the template side of :mod:`birdsite.confidence` (the only formatter)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from birdsite import confidence as fmt

register = template.Library()


@register.filter(name="confidence")
def confidence_filter(value: float | None) -> str:
    return fmt.confidence_text(value)


@register.filter
def confidence_words(value: float | None) -> str:
    return fmt.confidence_words(value)


@register.filter
def taxon_rank(label: str | None) -> str:
    return fmt.taxon_rank(label)


@register.filter
def low_confidence(value: float | None) -> bool:
    return fmt.is_low(value)


@register.simple_tag
def confidence_badge(value: float | None, label: str | None = None) -> SafeString:
    """ "91 % · very likely", a "Low confidence" badge under the threshold, the rank unless a species."""
    if value is None:
        return mark_safe("")
    d = fmt.describe(value, label)
    low = mark_safe(' <span class="badge low">Low confidence</span>') if d["low_confidence"] else ""
    rank = d["taxon_rank"]
    rank_badge = "" if rank == "species" else format_html(' <span class="badge rank">{}</span>', rank)
    return format_html(
        '<span class="conf-text" data-confidence>{} · {}</span>{}{}',
        d["confidence_text"],
        d["confidence_words"],
        low,
        rank_badge,
    )
