"""The customer a row of an interaction or survey file is about: found by the reference the file gives.

A reference is the customer's id in the system the file's customers come from (``ImportOptions.customers_from``),
an e-mail address, or (without a source) the portal's own customer number; see
``crm.importing.identity.customers_by_reference``. A row whose reference matches nothing is rejected, naming
the column and the value: never dropped, never attached to a guess.
"""
from __future__ import annotations

from crm.core.i18n import _
from crm.importing import identity
from crm.importing.writing import CleanRow, Context, RowResult


def customers_of(ctx: Context, rows: list[CleanRow], field: str = "customer") -> tuple[list[tuple[CleanRow, int]],
                                                                                       list[RowResult]]:
    """(rows with their customer id, rejected rows whose reference matched no customer)."""
    source = ctx.options.customers_from
    found = identity.customers_by_reference(ctx.session, source, (r.values[field] for r in rows))
    matched: list[tuple[CleanRow, int]] = []
    rejected: list[RowResult] = []
    for r in rows:
        ref = r.values[field].strip()
        if ref in found:
            matched.append((r, found[ref]))
        else:
            rejected.append(RowResult(r.row, "rejected", reasons=unmatched(ctx, field, ref), name=ref))
    return matched, rejected


def unmatched(ctx: Context, field: str, ref: str) -> str:
    """Why a reference matched no customer, naming the column, the value and where it was looked for."""
    source = ctx.options.customers_from
    if source:
        problem = _("no customer matches '{value}' (looked for among the customers from {source}, and by "
                    "e-mail).").format(value=ref, source=source)
    else:
        problem = _("no customer matches '{value}' (looked for by e-mail and by the portal's customer "
                    "number; name the source system the customers come from to find them by its ids).").format(
            value=ref)
    return _("{column}: {problem}").format(column=ctx.column(field), problem=problem)
