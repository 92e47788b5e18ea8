"""Streamlit glue shared by the pages: cached loaders, the device badge, guards. The only part of gdl that
imports streamlit."""
