"""Documents in the domains' collections: ingestion (``ingestion``), the review queue's flow (``review``),
listing and deleting with receipts (``catalog``) and the indexing-hook protocol skills implement (``hooks``)."""

__all__: list[str] = []
