// A picture that reports where it was clicked: Python draws the map as a PNG and says which pixel rectangle of
// it is the plane (and which longitudes and latitudes that rectangle spans); a click inside it goes back to Python
// as {lon, lat, n} (state "click"; n counts clicks, so that clicking the same place twice is two events).
// Plain ES module, no imports, no HTML strings: runs offline with no build step.

const MAPS = new WeakMap(); // parentElement -> this map's state

function build(parentElement) {
  const img = document.createElement("img");
  img.className = "cm-map";
  img.alt = "map: click to place the point";
  img.style.width = "100%";
  img.style.cursor = "crosshair";
  img.style.display = "block";
  parentElement.appendChild(img);
  const state = { img, clicks: 0, data: null, setStateValue: null };
  img.addEventListener("click", (event) => {
    const d = state.data;
    if (!d || !img.naturalWidth) return;
    const rect = img.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * img.naturalWidth;
    const py = ((event.clientY - rect.top) / rect.height) * img.naturalHeight;
    const [x0, y0, x1, y1] = d.plane; // the plane's pixel rectangle in the picture
    if (px < x0 || px > x1 || py < y0 || py > y1) return; // a click on the axes or the legend
    const [lon0, lat0, lon1, lat1] = d.view;
    const lon = lon0 + ((px - x0) / (x1 - x0)) * (lon1 - lon0);
    const lat = lat1 - ((py - y0) / (y1 - y0)) * (lat1 - lat0);
    state.clicks += 1;
    state.setStateValue("click", { lon, lat, n: state.clicks });
  });
  return state;
}

export default function clickMap(component) {
  const { data, parentElement, setStateValue } = component;
  let state = MAPS.get(parentElement);
  if (!state || !parentElement.contains(state.img)) {
    state = build(parentElement);
    MAPS.set(parentElement, state);
  }
  state.data = data;
  state.setStateValue = setStateValue;
  if (data && state.img.getAttribute("src") !== data.src) state.img.setAttribute("src", data.src);
  if (data) state.img.dataset.plane = data.plane.join(","); // where the plane lies in the picture (for tests)
}
