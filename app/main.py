"""The web app's entry point (``streamlit run app/main.py``): services, sign-in, then the visitor's pages."""

from __future__ import annotations

import streamlit as st

from app.auth import sign_in
from app.navigation import pages_for
from app.state import get_services, guarded, index_samples_once

st.set_page_config(page_title="Domain assistant", page_icon="🔒", layout="wide")
services = get_services()
visitor = sign_in(services, entry=True)
guarded(lambda: index_samples_once(services))
st.navigation(pages_for(visitor)).run()
