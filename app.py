"""gdl: the entry script only declares navigation; each page lives in pages/."""
import streamlit as st

from gdl.device import share_cpu
from gdl.ui.warm import start_warming
from gdl.ui.widgets import remember_page

share_cpu()  # one torch thread per model: a classroom server runs many at once on few cores

st.set_page_config(page_title="gdl · generative deep learning lab", page_icon="🧪", layout="wide")

PAGES = {
    "": [st.Page("pages/home.py", title="Home", icon="🏠", default=True)],
    "Lessons": [
        st.Page("pages/world_map.py", title="World map: Hello World", icon="🌍", url_path="world_map"),
        st.Page("pages/compare.py", title="Six families side by side", icon="⚖️", url_path="compare"),
        st.Page("pages/latent.py", title="Latent space", icon="🧭", url_path="latent"),
        st.Page("pages/diffusion.py", title="Diffusion", icon="🌫️", url_path="diffusion"),
    ],
}
page = st.navigation(PAGES)
remember_page(page.url_path)  # a page can tell that the user has just come back to it
start_warming()  # once per server: visit every page in the background so the shared caches are ready
page.run()
