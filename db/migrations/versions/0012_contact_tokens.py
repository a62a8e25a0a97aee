"""Search tokens of e-mails and phones carry a mark (chr(31)) so that a search by someone who may not see contact
details never reaches them: masked contact details can no longer be recovered by typing growing prefixes.

A token is a contact token when it is not a word of the customer's folded name or company (the same rule as
``crm.customers.contact_rules.search_tokens_of_keys``, which writes new tokens).

Revision ID: 0012
Revises: 0011
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MARK = "\x1f"
WORD = re.compile(r"[^\W_]+", re.UNICODE)  # crm.core.text.folded_words
CHUNK = 5000


def upgrade() -> None:
    conn = op.get_bind()
    last = 0
    while True:
        customers = conn.execute(sa.text("SELECT id, name_key, company_key FROM customers WHERE id > :last "
                                         "ORDER BY id LIMIT :n"), {"last": last, "n": CHUNK}).all()
        if not customers:
            break
        last = customers[-1][0]
        plain = {cid: set(WORD.findall(f"{name or ''} {company or ''}")) for cid, name, company in customers}
        tokens = conn.execute(sa.text("SELECT token, customer_id FROM customer_tokens "
                                      "WHERE customer_id >= :first AND customer_id <= :last"),
                              {"first": customers[0][0], "last": last}).all()
        marked = [{"token": t, "marked": (MARK + t)[:120], "cid": cid} for t, cid in tokens
                  if cid in plain and t not in plain[cid] and not t.startswith(MARK)]
        if marked:
            conn.execute(sa.text("UPDATE customer_tokens SET token = :marked WHERE token = :token "
                                 "AND customer_id = :cid"), marked)


def downgrade() -> None:
    op.execute(sa.text("UPDATE customer_tokens SET token = substr(token, 2) WHERE token LIKE :marked")
               .bindparams(marked=MARK + "%"))
