"""The home page: what generative modeling is, the map of the six families, and where to go."""
import streamlit as st

from gdl import plots
from gdl.models import NEURAL
from gdl.ui.widgets import device_badge, panel_guard, through_app

through_app()  # a deep link to a fresh server must still go through app.py

st.title("🧪 gdl: a lab for generative deep learning")
device_badge()
st.markdown(
    """
A **generative model** learns to produce new observations that look as if they came from the same source as the
data it was trained on.

- There is an unknown distribution, **p_data**, that produced the observations we have (photos, digits, points).
- We fit a model, **p_model**, that mimics p_data as closely as it can.
- Then we **sample** from p_model: each sample is a new observation that, if the model is good, could have come
  from p_data.

A **discriminative** model learns p(y | x): given an observation, it predicts a label ("is this painting a
Van Gogh?"). A **generative** model learns p(x) itself (or p(x | y)), so it can *create* a new painting. Every
lesson below lets you draw samples, fit a model, and see how far p_model is from p_data.

The lessons follow David Foster's *Generative Deep Learning* (O'Reilly, 2nd edition, 2023): where a page says
"the book", it means this one.
"""
)

st.header("The six families")
st.markdown(
    "Every deep generative model must cope with the same problem: a density over high-dimensional data that is "
    "easy to evaluate and easy to sample. The families differ in how they model that density."
)
with panel_guard("The map of the families"):
    st.graphviz_chart(plots.taxonomy_dot(tuple(NEURAL)))
st.markdown(
    """
| family | density | how it samples |
| --- | --- | --- |
| **Autoregressive** | exact: a product of one-feature conditionals, p(x) = Π p(xᵢ \\| x₁, …, xᵢ₋₁) | one feature at a time |
| **Normalizing flow** | exact: an invertible map of a simple density, with the change of variables | one pass through the inverse |
| **VAE** | a lower bound (the ELBO) through a latent variable z | decode z from the prior |
| **Energy-based** | up to a constant: p(x) ∝ exp(−E(x)) | Langevin dynamics down the energy |
| **Diffusion** | a lower bound, by learning to undo gradual noise | many small denoising steps |
| **GAN** | none: a generator trained against a discriminator | one pass through the generator |
"""
)

st.header("Lessons")
LESSONS = [  # in the sidebar's order; a link's label stays on one line, so what it teaches sits under it
    ("pages/world_map.py", "World map (Hello World)", "🌍",
     "p_data is uniform over the land; fit a uniform box by maximum likelihood, watch it grow, explore the "
     "likelihood, judge models."),
    ("pages/compare.py", "Six families side by side", "⚖️",
     "GAN, VAE, energy-based, diffusion, autoregressive and flow on the same data with the same budget, measured "
     "the same way."),
    ("pages/latent.py", "Latent space", "🧭",
     "Move through a VAE's latent space with sliders and a draggable point, walk between images, add \"taller\" "
     "to a tin, encode your own image."),
    ("pages/diffusion.py", "Diffusion", "🌫️",
     "Noise the world map and the digits step by step, then walk the learned denoising back from pure noise; DDPM "
     "against DDIM; draw me a 7."),
]
for page, title, icon, what in LESSONS:
    st.page_link(page, label=f"**{title}**", icon=icon)
    st.caption(what)
