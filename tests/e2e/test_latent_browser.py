"""The Latent Space page in real Chromium: the JavaScript decoder matches torch, the page renders, dragging the
point redraws the decoded image (per-update time printed), and the server-path slider redraws the image (latency
printed)."""
import base64
import json
import statistics
from pathlib import Path

import numpy as np
import pytest

from gdl import checkpoints, latent
from tests.e2e.conftest import error_texts, screenshot_full, wait_for_app

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
COMPONENT_JS = ROOT / "gdl" / "ui" / "components" / "latent_plane" / "latent_plane.js"

# Runs the component's own module in the page: parse the decoder once, decode every code, time the decodes.
RUN_FORWARD = """async ([moduleB64, payload, codes]) => {
    const m = await import('data:text/javascript;base64,' + moduleB64);
    const decoder = m.parseDecoder(payload);
    for (let i = 0; i < 20; i++) m.forward(decoder, codes[0]);  // warm up the JIT
    const out = [], times = [];
    for (const z of codes) {
        const t0 = performance.now();
        const pixels = m.forward(decoder, z);
        times.push(performance.now() - t0);
        out.push(Array.from(pixels));
    }
    return {out, times};
}"""


@pytest.mark.parametrize("dataset", ["tins", "digits"])
def test_the_javascript_decoder_matches_torch_in_chromium(chrome, dataset):
    model = checkpoints.load_shipped("vae", dataset)
    Z = np.random.default_rng(5).normal(size=(16, model.config.latent_dim)).astype(np.float32) * 1.5
    page = chrome.new_page()
    try:
        page.goto("about:blank")
        module = base64.b64encode(COMPONENT_JS.read_bytes()).decode()
        result = page.evaluate(RUN_FORWARD, [module, latent.decoder_payload(model), Z.tolist()])
    finally:
        page.close()
    js = np.array(result["out"])
    diff = np.abs(js - model.decode(Z).reshape(len(Z), -1)).max()
    print(f"\n{dataset}: JS forward pass vs torch decode: max |difference| = {diff:.2e} per pixel; "
          f"median {statistics.median(result['times']):.3f} ms per decode in Chromium")
    assert diff < 1e-4


def open_latent_page(pg, server):
    pg.goto(server + "/", wait_until="domcontentloaded", timeout=240_000)  # the app's navigation first
    wait_for_app(pg, timeout_ms=240_000)
    pg.goto(server + "/latent", wait_until="domcontentloaded", timeout=240_000)
    wait_for_app(pg, timeout_ms=240_000)
    pg.wait_for_selector("text=How well is the data represented", timeout=240_000)
    pg.wait_for_selector("canvas.lp-plane", timeout=120_000)
    wait_for_app(pg, timeout_ms=240_000)


PIXELS = "() => Array.from(window.gdlLatentPlane.state.pixels)"
STATE = """() => { const s = window.gdlLatentPlane.state;
    return {z: Array.from(s.z), updates: s.updates, median: Number(s.root.dataset.medianMs),
            timings: s.timings.slice()}; }"""

# Records, in the page's own clock, the time from a key press to the moment the decoded image has its new picture.
WATCH_IMAGE = """() => {
    const find = () => document.querySelector('img[alt="decoder(z)"]');
    window.__latency = {down: 0, src: find()?.src, samples: []};
    document.addEventListener('keydown', () => { window.__latency.down = performance.now(); }, true);
    new MutationObserver(() => {
        const img = find();
        if (!img || img.src === window.__latency.src) return;
        window.__latency.src = img.src;
        const done = () => requestAnimationFrame(() =>
            window.__latency.samples.push(performance.now() - window.__latency.down));
        if (img.complete && img.naturalWidth) done(); else img.addEventListener('load', done, {once: true});
    }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


def test_latent_page_renders_dragging_redraws_the_image_and_sliders_redraw_it_via_the_server(server, app_page,
                                                                                              output_dir):
    pg = app_page
    open_latent_page(pg, server)
    assert error_texts(pg) == []
    screenshot_full(pg, output_dir / "latent.png")

    plane = pg.locator("canvas.lp-plane")
    plane.scroll_into_view_if_needed()
    box = plane.bounding_box()
    before = np.array(pg.evaluate(PIXELS))
    start = pg.evaluate(STATE)
    # drag from the lower left to the upper right of the plane, 60 mouse moves
    pg.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.8 * box["height"])
    pg.mouse.down()
    pg.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.2 * box["height"], steps=60)
    pg.mouse.up()
    pg.wait_for_timeout(300)
    after = np.array(pg.evaluate(PIXELS))
    state = pg.evaluate(STATE)
    assert state["updates"] - start["updates"] >= 10, "the image did not follow the drag"
    assert np.abs(after - before).max() > 0.1, "dragging did not change the decoded image"
    # the picture drawn in the page is the torch decoder's picture of the same code
    model = checkpoints.load_shipped("vae", "tins")
    torch_image = model.decode(np.array([state["z"]], dtype=np.float32)).ravel()
    assert np.abs(after - torch_image).max() < 1e-4
    print(f"\nlatent plane: {state['updates'] - start['updates']} updates while dragging; JS per update "
          f"(decode + draw) median {statistics.median(state['timings']):.3f} ms, "
          f"max {max(state['timings']):.3f} ms in Chromium")
    assert state["median"] < 80.0  # loose for a loaded CI machine (the printed median is the number; ~1 ms idle)
    pg.wait_for_selector("text=You let go at", timeout=60_000)  # only the release went to the server
    plane.screenshot(path=str(output_dir / "latent_plane.png"))

    # the server path, on the same page: one slider per latent dimension, the decoded image redrawn by the server
    wait_for_app(pg, timeout_ms=120_000)
    pg.evaluate(WATCH_IMAGE)
    thumb = pg.locator('[data-testid="stSlider"]', has_text="z1").locator("input")
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    moves = 20
    for i in range(moves):
        pg.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")  # alternate: every press is a new image
        pg.wait_for_function(f"() => window.__latency.samples.length >= {i + 1}", timeout=30_000)
        pg.wait_for_timeout(50)
    samples = pg.evaluate("() => window.__latency.samples")
    median = statistics.median(samples)
    print(f"\nslider -> decoded image on screen (server path: st.fragment, inline PNG): median {median:.0f} ms over "
          f"{len(samples)} moves (min {min(samples):.0f}, max {max(samples):.0f})")
    (output_dir / "slider_latency.json").write_text(json.dumps({"median_ms": median, "samples_ms": samples}))
    assert median < 5000  # a sanity bound for a loaded CI machine; the target on an idle one is 150 ms (printed)


def test_drawing_a_digit_encodes_it_and_shows_where_it_lands(server, app_page, output_dir):
    pg = app_page
    open_latent_page(pg, server)
    pg.locator('[data-testid="stSelectbox"]', has_text="Data").locator("input").first.click()
    pg.get_by_role("option", name="Handwritten digits (8×8)").click()
    pg.wait_for_selector("text=more like a", timeout=240_000)
    wait_for_app(pg, timeout_ms=240_000)
    pg.get_by_text("Draw a digit", exact=True).click()
    pad = pg.locator("canvas.dp-canvas")
    pad.wait_for(timeout=120_000)
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    # a "1": one stroke down the middle
    pg.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
    pg.mouse.down()
    pg.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.85 * box["height"], steps=15)
    pg.mouse.up()
    pg.wait_for_selector("text=decoded from its z", timeout=120_000)
    wait_for_app(pg, timeout_ms=120_000)
    assert error_texts(pg) == []
    assert pg.get_by_text("Your image's code (the star) lies").count() == 1
    screenshot_full(pg, output_dir / "latent_drawing.png")
