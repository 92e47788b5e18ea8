"""No page renders user-provided text as HTML (issue 6).

A static audit of the UI code (app.py, pages/*.py, gdl/ui/*.py): every place that can put raw HTML or script into
the browser (unsafe_allow_html=True, st.html, components.html / components.v1, custom components) must be on
the allow-list below, which names the exact expressions interpolated into it and says why each is safe (built
only from constants, numbers and our own encoded images, never from what a user typed or uploaded). A new site,
or a new expression in an allowed site, fails this test until someone audits it and adds it here.

The components' own JavaScript is audited too: any innerHTML-like assignment must be a fixed template.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "gdl" / "ui").glob("*.py")])
JS_FILES = sorted((ROOT / "gdl" / "ui" / "components").rglob("*.js"))
HTML_FUNCTIONS = {"html"}  # st.html, components.html, streamlit.components.v1.html
COMPONENT_FACTORIES = {"component", "declare_component"}  # st.components.v2.component, components.v1.declare_component


@dataclass(frozen=True)
class Site:
    path: str  # relative to the repository root
    function: str  # the enclosing function, or "<module>"
    kind: str  # "unsafe_allow_html", "html" or "component"
    dynamic: tuple[str, ...]  # the source of every expression that is not a literal, sorted

    def __str__(self) -> str:
        return f"{self.path} in {self.function}: {self.kind} with {list(self.dynamic)}"


# Every allowed site, with why its content cannot carry a user's text.
ALLOWED: dict[Site, str] = {
    Site("pages/latent.py", "<module>", "unsafe_allow_html", ("L", "command", "name_shown", "source")):
        "The model line under the page's top controls, with <small> for the command. L is an int (the latent "
        "size); name_shown is a constant of gdl.models.DISPLAY_NAMES ('VAE' or 'Autoencoder'); source is a key "
        "the page itself builds ('pretrained checkpoint' or 'trained here'); command is "
        "the string saved in a shipped checkpoint in assets/checkpoints by `python -m gdl train` (users cannot "
        "upload checkpoints on this page) (or nothing, for a model trained here), each word HTML-escaped "
        "inside a no-wrap span the page writes itself.",
    Site("pages/latent.py", "_slider_view", "unsafe_allow_html",
         ("' '.join((f'<img src=\"{latent.png_data_uri(picture, scale)}\" alt=\"{alt}\" "
          "width=\"{picture.shape[1] * scale}\" style=\"{fit}image-rendering: pixelated\">' "
          "for picture, alt in shown))",
          "alt", "fit", "latent.png_data_uri(picture, scale)", "picture.shape[1] * scale")):
        "The decoded image, and the data's image whose code the sliders hold, as <img>s with data URIs: each URI "
        "is base64 of a PNG we encode from a float array (no user text), the width an int, the alt one of two "
        "fixed strings and fit a fixed CSS width.",
    Site("gdl/ui/latent.py", "_plane_component", "component", ("css", "js")):
        "The draggable latent plane: js and css are read from files in gdl/ui/components/latent_plane (part of "
        "the package). Its data are numbers, colours and axis labels, which the JS writes with textContent "
        "(see test_component_javascript_builds_html_only_from_fixed_templates).",
    Site("gdl/ui/latent.py", "_draw_component", "component", ("css", "js")):
        "The drawing pad: js and css read from the package; its only data are the pad's size.",
    Site("gdl/ui/clickmap.py", "_component", "component", ("JS.read_text(encoding='utf-8')",)):
        "The World Map's clickable map: js read from gdl/ui/components/click_map in the package. Its data are a "
        "PNG data URI we draw (gdl.mapimage) and numbers; the JS sets only the img's src and alt, no HTML.",
}


def _dynamic_parts(call: ast.Call) -> tuple[str, ...]:
    """The source of every non-literal expression that feeds the call: interpolations of f-strings and any
    argument that is not a string or number literal (the unsafe_allow_html flag itself excepted)."""
    parts = set()
    values = list(call.args) + [k.value for k in call.keywords if k.arg != "unsafe_allow_html"]
    for value in values:
        for node in ast.walk(value):
            if isinstance(node, ast.FormattedValue):
                parts.add(ast.unparse(node.value))
        if not isinstance(value, (ast.Constant, ast.JoinedStr)):
            parts.add(ast.unparse(value))
    return tuple(sorted(parts))


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def find_sites(source: str, path: str) -> list[Site]:
    """Every call in `source` that can render raw HTML or script in the browser."""
    tree = ast.parse(source)
    imported_html = set()  # local names bound to an html function: from streamlit.components.v1 import html as h
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("streamlit"):
            imported_html |= {a.asname or a.name for a in node.names if a.name in HTML_FUNCTIONS}

    sites = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Call):
                name = _call_name(child)
                flag = next((k.value for k in child.keywords if k.arg == "unsafe_allow_html"), None)
                kind = None
                if flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False):
                    kind = "unsafe_allow_html"
                elif (isinstance(child.func, ast.Attribute) and name in HTML_FUNCTIONS) or (
                        isinstance(child.func, ast.Name) and name in imported_html):
                    kind = "html"
                elif isinstance(child.func, ast.Attribute) and name in COMPONENT_FACTORIES:
                    kind = "component"
                if kind:
                    sites.append(Site(path, function, kind, _dynamic_parts(child)))
            visit(child, function)

    visit(tree, "<module>")
    return sites


def all_sites() -> list[Site]:
    return [s for f in UI_FILES for s in find_sites(f.read_text(encoding="utf-8"), str(f.relative_to(ROOT)))]


def test_every_html_site_in_the_ui_is_on_the_allow_list():
    unknown = [str(s) for s in all_sites() if s not in ALLOWED]
    assert not unknown, ("these places render raw HTML or script and are not on the allow-list; make sure no "
                         "user text reaches them, then add them with the reason:\n" + "\n".join(unknown))


def test_the_allow_list_has_no_stale_entries():
    found = set(all_sites())
    stale = [str(s) for s in ALLOWED if s not in found]
    assert not stale, "allowed sites that no longer exist (remove them):\n" + "\n".join(stale)


def test_the_audit_scans_the_pages_and_the_ui_glue():
    names = {str(f.relative_to(ROOT)) for f in UI_FILES}
    assert {"app.py", "pages/home.py", "pages/world_map.py", "pages/latent.py", "gdl/ui/widgets.py"} <= names


@pytest.mark.parametrize("code, kind, dynamic", [
    ("st.markdown(f'<b>{name}</b>', unsafe_allow_html=True)", "unsafe_allow_html", ("name",)),
    ("col.write(text, unsafe_allow_html=flag)", "unsafe_allow_html", ("text",)),
    ("st.html(user_text)", "html", ("user_text",)),
    ("st.components.v1.html('<p>' + t + '</p>', height=100)", "html", ("'<p>' + t + '</p>'",)),
    ("from streamlit.components.v1 import html as show\nshow(x)", "html", ("x",)),
    ("st.components.v2.component('c', html=page)", "component", ("page",)),
])
def test_the_scanner_catches_each_way_to_render_html(code, kind, dynamic):
    sites = find_sites(f"def view():\n    " + code.replace("\n", "\n    "), "pages/new.py")
    assert sites == [Site("pages/new.py", "view", kind, dynamic)]


def test_the_scanner_ignores_safe_markdown():
    code = "st.markdown(text)\nst.markdown(f'**{text}**', unsafe_allow_html=False)\nst.error(text)\n"
    assert find_sites(code, "pages/new.py") == []


def test_a_new_expression_in_an_allowed_site_is_not_allowed():
    source = (ROOT / "pages" / "latent.py").read_text(encoding="utf-8")
    tampered = source.replace("{L} latent dimensions", "{L} latent dimensions {st.session_state['lat_note']}")
    assert tampered != source
    assert any(s not in ALLOWED for s in find_sites(tampered, "pages/latent.py"))


HTML_SINKS = re.compile(r"(innerHTML|outerHTML)\s*\+?=\s*|insertAdjacentHTML\(|document\.write\(")


def _sink_values(js: str) -> list[str]:
    """The expression assigned to (or passed to) each HTML sink: up to the end of its statement."""
    out = []
    for match in HTML_SINKS.finditer(js):
        rest = js[match.end():]
        if match.group(0).startswith("insertAdjacentHTML"):  # (position, html): the html is the second argument
            rest = rest[rest.find(",") + 1:].lstrip()
        if rest.startswith("`"):  # a template literal: up to its closing backquote
            out.append(rest[: rest.index("`", 1) + 1])
        else:
            out.append(rest[: re.search(r";|\n", rest).start()])
    return out


def unsafe_sinks(js: str) -> list[str]:
    """The values written to an HTML sink that are not a fixed string or a template without ${...}."""
    return [v for v in _sink_values(js) if not v.startswith(("`", '"', "'")) or "${" in v]


def test_component_javascript_builds_html_only_from_fixed_templates():
    assert JS_FILES, "no component JavaScript found"
    for path in JS_FILES:
        bad = unsafe_sinks(path.read_text(encoding="utf-8"))
        assert not bad, f"{path.relative_to(ROOT)} writes HTML from a non-constant value: {bad}"


def test_the_javascript_check_catches_interpolated_or_variable_html():
    assert unsafe_sinks("el.innerHTML = `<b>${label}</b>`;") == ["`<b>${label}</b>`"]
    assert unsafe_sinks("el.innerHTML = label;\n") == ["label"]
    assert unsafe_sinks("el.insertAdjacentHTML('beforeend', x);") != []
    assert unsafe_sinks("el.innerHTML = `<canvas></canvas>`;\nel.textContent = `${label}`;") == []
