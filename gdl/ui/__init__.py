"""Streamlit glue shared by the pages: cached loaders, the device badge, guards. The only part of gdl that
imports streamlit."""
# Import pandas whole, once, before any session draws. Streamlit and Plotly load it lazily, and Plotly's
# validators only peek at sys.modules: while one session's thread is still importing pandas (st.dataframe),
# another session's Plotly figure finds the half-initialised module and fails ("partially initialized module
# 'pandas' has no attribute 'Series'"). That happened to 2 of 5 sessions opening the World Map at once
# (tests/e2e/test_load_browser.py). The cost is ~0.2 s once per server process, not per session.
import pandas  # noqa: F401, E402
