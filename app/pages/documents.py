"""Documents page: what each domain's collection holds."""

from __future__ import annotations

import streamlit as st

from app.state import get_services, guarded

services = get_services()
st.title("Documents")
domain = st.selectbox("Domain", list(services.domains), format_func=lambda d: services.domains[d].title)
documents = guarded(lambda: services.store.list_documents(domain)) or []
st.caption(f"{len(documents)} documents")
st.dataframe(
    [
        {
            "name": d.name,
            "sha256": d.sha256[:16],
            "chunks": d.chunks,
            "kind": d.kind,
            "ingested at": d.ingested_at,
        }
        for d in documents
    ],
    use_container_width=True,
)
