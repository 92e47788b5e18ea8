// A drawing pad: draw with the mouse (or a finger) in white on black, like the datasets' images. When a stroke
// ends, the picture goes to Python as a PNG data URL (state "drawing"), where it is read exactly like an
// uploaded file. Plain ES module, no imports: runs offline with no build step.

const PADS = new WeakMap(); // parentElement -> this pad's state

function build(parentElement, size) {
  const root = document.createElement("div");
  root.className = "dp-root";
  root.innerHTML = `<canvas class="dp-canvas" aria-label="drawing pad"></canvas>
    <div class="dp-buttons"><button type="button" class="dp-clear">Clear</button>
    <span class="dp-hint">Draw one digit, large, in the middle.</span></div>`;
  parentElement.appendChild(root);
  const canvas = root.querySelector(".dp-canvas");
  canvas.width = canvas.height = size;
  canvas.style.width = canvas.style.height = `${size}px`;
  const ctx = canvas.getContext("2d");
  const state = { root, canvas, ctx, drawing: false, last: null, strokes: 0 };
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
  };
  clear();
  const at = (event) => {
    const rect = canvas.getBoundingClientRect();
    return [((event.clientX - rect.left) / rect.width) * size, ((event.clientY - rect.top) / rect.height) * size];
  };
  const line = (a, b) => {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = size / 9;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
  };
  canvas.addEventListener("pointerdown", (event) => {
    state.drawing = true;
    canvas.setPointerCapture(event.pointerId);
    state.last = at(event);
    line(state.last, state.last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!state.drawing) return;
    const p = at(event);
    line(state.last, p);
    state.last = p;
  });
  const end = () => {
    if (!state.drawing) return;
    state.drawing = false;
    state.strokes += 1;
    state.setStateValue("drawing", canvas.toDataURL("image/png"));
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  root.querySelector(".dp-clear").addEventListener("click", () => {
    clear();
    state.strokes = 0;
    state.setStateValue("drawing", null);
  });
  return state;
}

export default function drawPad(component) {
  const { data, parentElement, setStateValue } = component;
  let state = PADS.get(parentElement);
  if (!state || !parentElement.contains(state.root)) {
    state = build(parentElement, (data && data.size) || 224);
    PADS.set(parentElement, state);
  }
  state.setStateValue = setStateValue;
}
