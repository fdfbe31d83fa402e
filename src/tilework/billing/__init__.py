"""Credits and plans: the plan catalogue, the credit ledger, task pricing, checkout providers and
auto top-up. See docs/billing.md. Imports nothing from the API or the engine: the engine calls in.
"""
