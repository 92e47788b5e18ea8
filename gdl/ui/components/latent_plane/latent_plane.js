// The latent plane: drag a point across a plane of a latent space and watch the decoded image follow.
//
// The decoder runs here, in the browser: Python sends its weights once (gdl.latent.decoder_payload), and every
// mouse move decodes z = origin + u * axes[0] + v * axes[1] with the same layers as the torch decoder
// (h = activation(W h + b), then clip to [0, 1]). No server round trip sits between the mouse and the image;
// the server only hears where the point was let go (state "point").
//
// Written as a plain ES module with no imports, so it runs offline with no build step. Streamlit (components v2)
// calls the default export on mount and again whenever the data from Python changes, with the same
// parentElement: the DOM and its listeners are built once per parentElement and the data is swapped in.

const DECODERS = new Map(); // model id -> parsed decoder, parsed once per page
const INSTANCES = new WeakMap(); // parentElement -> this component's state
const TIMING_WINDOW = 200; // per-update times kept for the median

/** base64 of little-endian float32 values -> Float32Array (typed arrays use the platform's order: little-endian
 * on every browser platform in use; DataView keeps it right everywhere). */
export function base64ToFloat32(text) {
  const bin = atob(text);
  const n = bin.length >> 2;
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** The payload of gdl.latent.decoder_payload -> layers with typed arrays and scratch buffers. */
export function parseDecoder(payload) {
  const layers = payload.layers.map((layer) => ({
    nIn: layer.in,
    nOut: layer.out,
    activation: layer.activation,
    slope: layer.negative_slope ?? 0.01,
    weight: base64ToFloat32(layer.weight), // (out, in) row-major
    bias: base64ToFloat32(layer.bias),
    buffer: new Float64Array(layer.out),
  }));
  layers.forEach((layer, i) => {
    if (layer.weight.length !== layer.nIn * layer.nOut || layer.bias.length !== layer.nOut)
      throw new Error(`decoder layer ${i}: weight or bias has the wrong size`);
    if (i > 0 && layer.nIn !== layers[i - 1].nOut) throw new Error(`decoder layer ${i}: sizes do not chain`);
  });
  return { shape: payload.shape, latentDim: payload.latent_dim, layers };
}

function activate(name, x, slope) {
  switch (name) {
    case "identity": return x;
    case "relu": return x > 0 ? x : 0;
    case "leaky_relu": return x >= 0 ? x : slope * x;
    case "silu": return x / (1 + Math.exp(-x));
    case "sigmoid": return 1 / (1 + Math.exp(-x));
    case "tanh": return Math.tanh(x);
    default: throw new Error(`unknown activation ${name}`);
  }
}

/** The decoder's forward pass for one code z (array of latentDim numbers): pixels in [0, 1], row-major (H * W),
 * into `out` (a Float64Array, created when omitted). Accumulates in double precision. */
export function forward(decoder, z, out) {
  let h = z;
  for (const layer of decoder.layers) {
    const { nIn, nOut, weight, bias, buffer, activation, slope } = layer;
    for (let r = 0; r < nOut; r++) {
      let s = bias[r];
      const row = r * nIn;
      for (let i = 0; i < nIn; i++) s += weight[row + i] * h[i];
      buffer[r] = activate(activation, s, slope);
    }
    h = buffer;
  }
  out = out || new Float64Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = h[i] < 0 ? 0 : h[i] > 1 ? 1 : h[i];
  return out;
}

/** Plane coordinates (u, v) -> code z = origin + u * axes[0] + v * axes[1]. */
export function planeToLatent(view, u, v) {
  return view.origin.map((o, k) => o + u * view.axes[0][k] + v * view.axes[1][k]);
}

function median(values) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function build(parentElement) {
  const root = document.createElement("div");
  root.className = "lp-root";
  root.innerHTML = `
    <div class="lp-plane-wrap">
      <canvas class="lp-plane" tabindex="0" aria-label="latent plane: drag the point"></canvas>
      <div class="lp-axis lp-axis-u"></div><div class="lp-axis lp-axis-v"></div>
    </div>
    <div class="lp-side">
      <canvas class="lp-image" aria-label="the decoded image"></canvas>
      <div class="lp-readout"></div>
      <div class="lp-timing"></div>
    </div>`;
  parentElement.appendChild(root);
  const state = {
    root,
    plane: root.querySelector(".lp-plane"),
    image: root.querySelector(".lp-image"),
    readout: root.querySelector(".lp-readout"),
    timing: root.querySelector(".lp-timing"),
    background: document.createElement("canvas"),
    timings: [],
    updates: 0,
    dragging: false,
    pending: null,
    frame: 0,
    uv: [0, 0],
  };
  const toUV = (event) => {
    const rect = state.plane.getBoundingClientRect();
    const fx = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    const fy = Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height));
    const [[u0, u1], [v0, v1]] = state.data.extent;
    return [u0 + fx * (u1 - u0), v1 - fy * (v1 - v0)];
  };
  const request = (uv) => {
    state.pending = uv;
    if (!state.frame) state.frame = requestAnimationFrame(() => { state.frame = 0; update(state, state.pending); });
  };
  state.plane.addEventListener("pointerdown", (event) => {
    state.dragging = true;
    state.plane.setPointerCapture(event.pointerId);
    request(toUV(event));
  });
  state.plane.addEventListener("pointermove", (event) => { if (state.dragging) request(toUV(event)); });
  const release = (event) => {
    if (!state.dragging) return;
    state.dragging = false;
    if (state.frame) { cancelAnimationFrame(state.frame); state.frame = 0; update(state, state.pending); }
    report(state);
  };
  state.plane.addEventListener("pointerup", release);
  state.plane.addEventListener("pointercancel", release);
  state.plane.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[event.key];
    if (!step) return;
    event.preventDefault();
    const [[u0, u1], [v0, v1]] = state.data.extent;
    update(state, [state.uv[0] + step[0] * (u1 - u0) / 50, state.uv[1] + step[1] * (v1 - v0) / 50]);
    report(state);
  });
  return state;
}

function report(state) {
  const [u, v] = state.uv;
  state.setStateValue("point", { u, v, z: Array.from(state.z) });
}

function drawBackground(state) {
  const { data, background } = state;
  const size = data.size;
  const ratio = window.devicePixelRatio || 1;
  for (const c of [state.plane, background]) {
    c.width = Math.round(size * ratio);
    c.height = Math.round(size * ratio);
  }
  state.plane.style.width = state.plane.style.height = `${size}px`;
  const ctx = background.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#f8fafc";
  ctx.fillRect(0, 0, size, size);
  const [[u0, u1], [v0, v1]] = data.extent;
  const px = (u) => ((u - u0) / (u1 - u0)) * size;
  const py = (v) => (1 - (v - v0) / (v1 - v0)) * size;
  ctx.strokeStyle = "#cbd5e1";
  ctx.lineWidth = 1;
  if (u0 < 0 && u1 > 0) { ctx.beginPath(); ctx.moveTo(px(0), 0); ctx.lineTo(px(0), size); ctx.stroke(); }
  if (v0 < 0 && v1 > 0) { ctx.beginPath(); ctx.moveTo(0, py(0)); ctx.lineTo(size, py(0)); ctx.stroke(); }
  const { u, v, color } = data.points;
  ctx.globalAlpha = 0.6;
  for (let i = 0; i < u.length; i++) {
    ctx.fillStyle = color[i];
    ctx.beginPath();
    ctx.arc(px(u[i]), py(v[i]), 2.2, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  ctx.fillStyle = "#64748b";
  ctx.font = "11px sans-serif";
  if (u0 < 0 && u1 > 0 && v0 < 0 && v1 > 0) ctx.fillText("0", px(0) + 3, py(0) - 3);  // where the grey lines cross
  const span = (a, b) => `from ${a.toFixed(1)} to ${b.toFixed(1)}`;
  state.root.querySelector(".lp-axis-u").textContent = `${data.view.labels[0]} → (${span(u0, u1)})`;
  state.root.querySelector(".lp-axis-v").textContent = `${data.view.labels[1]} → (${span(v0, v1)})`;
  const [h, w] = data.decoder.shape;
  state.image.width = w;
  state.image.height = h;
  state.image.style.width = `${data.image_size}px`;
  state.image.style.height = `${Math.round((data.image_size * h) / w)}px`;
  state.imageData = state.image.getContext("2d").createImageData(w, h);
  state.pixels = new Float64Array(h * w);
}

/** Decode the code at plane point uv and draw it: the work of one update, timed when the user caused it. */
function update(state, uv, timed = true) {
  const t0 = performance.now();
  const { data } = state;
  state.uv = uv;
  state.z = planeToLatent(data.view, uv[0], uv[1]);
  forward(state.decoder, state.z, state.pixels);
  const rgba = state.imageData.data;
  for (let i = 0; i < state.pixels.length; i++) {
    const g = Math.round(state.pixels[i] * 255);
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = g;
    rgba[4 * i + 3] = 255;
  }
  state.image.getContext("2d").putImageData(state.imageData, 0, 0);
  // the plane: the cached scatter, then the handle
  const ctx = state.plane.getContext("2d");
  const ratio = state.plane.width / data.size;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(state.background, 0, 0);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const [[u0, u1], [v0, v1]] = data.extent;
  const x = ((uv[0] - u0) / (u1 - u0)) * data.size;
  const y = (1 - (uv[1] - v0) / (v1 - v0)) * data.size;
  ctx.strokeStyle = "#111827";
  ctx.lineWidth = 1;
  ctx.setLineDash([4, 4]);
  ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, data.size); ctx.moveTo(0, y); ctx.lineTo(data.size, y); ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = "#f97316";
  ctx.strokeStyle = "#111827";
  ctx.lineWidth = 2;
  ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  if (timed) {
    state.timings.push(performance.now() - t0);
    if (state.timings.length > TIMING_WINDOW) state.timings.shift();
    state.updates += 1;
  }
  const zText = state.z.length <= 4 ? state.z.map((c) => c.toFixed(2)).join(", ") : `${state.z.slice(0, 4).map((c) => c.toFixed(2)).join(", ")}, …`;
  state.readout.textContent = `${data.view.labels[0]} = ${uv[0].toFixed(2)}, ${data.view.labels[1]} = ${uv[1].toFixed(2)}  ·  z = (${zText})`;
  state.timing.textContent = state.timings.length
    ? `decoded here in your browser: ${median(state.timings).toFixed(2)} ms per update (median of ${state.timings.length})`
    : "decoded here in your browser: drag the point to time it";
  state.root.dataset.updates = String(state.updates);
  state.root.dataset.medianMs = state.timings.length ? median(state.timings).toFixed(4) : "";
}

export default function latentPlane(component) {
  const { data, parentElement, setStateValue, key } = component;
  let state = INSTANCES.get(parentElement);
  if (!state || !parentElement.contains(state.root)) {
    state = build(parentElement);
    INSTANCES.set(parentElement, state);
  }
  state.setStateValue = setStateValue;
  if (!data || !data.decoder) return;
  if (!DECODERS.has(data.model_id)) DECODERS.set(data.model_id, parseDecoder(data.decoder));
  const sameView = state.data && state.data.view_id === data.view_id && state.data.model_id === data.model_id;
  state.data = data;
  state.decoder = DECODERS.get(data.model_id);
  drawBackground(state);
  update(state, sameView ? state.uv : data.start, false);
  // for tests and the curious: the forward pass and the last decoded image
  window.gdlLatentPlane = { forward, parseDecoder, planeToLatent, state, key };
}
