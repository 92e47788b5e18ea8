"""AppTest: the World Map page runs, and its controls change what is shown."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page, script

PAGE = script("pages/world_map.py")


@pytest.fixture
def at():
    at = open_page("pages/world_map.py", timeout=120)
    assert not at.exception, at.exception
    return at


def _metric(at, label_start):
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_page_runs_and_reports_the_box_overfitting(at):
    assert "−∞" not in _metric(at, "log L")
    assert _metric(at, "Held-out NLL") == "+∞"  # 1,000 points: some held-out land lies outside the MLE box
    assert any("overfitting" in w.value for w in at.warning)


def test_changing_n_changes_the_points_counted(at):
    assert _metric(at, "Points outside") == "0 of 25"
    at.number_input(key="wm_n").set_value(12).run()
    assert not at.exception
    assert _metric(at, "Points outside") == "0 of 12"
    assert any(m.value.startswith("**n = 2** of 12 points") for m in at.markdown)


def test_moving_a_theta_slider_inward_drops_the_log_likelihood_to_minus_infinity(at):
    before = _metric(at, "log L")
    at.slider(key="wm_theta3").set_value(0.0).run()
    assert _metric(at, "log L") == "−∞"
    assert _metric(at, "Points outside") != "0 of 25"
    assert before != "−∞"


def test_an_inverted_box_gets_a_message_not_a_crash(at):
    at.slider(key="wm_theta1").set_value(100.0)
    at.slider(key="wm_theta3").set_value(50.0)
    at.run()
    assert not at.exception
    assert any("west edge" in e.value for e in at.error)


def test_stepping_adds_a_point_to_the_growing_box(at):
    def shown_n():
        return next(m.value for m in at.markdown if m.value.startswith("**n = "))

    assert shown_n().startswith("**n = 2**")
    at.button(key="wm_step").click().run()
    assert shown_n().startswith("**n = 3**")


def test_typed_points_report_land_and_sea_and_bad_text_gets_a_message(at):
    table = at.dataframe[-1].value
    rows = {r["point"]: r for r in table.to_dict("records")}
    assert rows["A"]["on land?"] == "yes" and rows["B"]["on land?"] == "no"
    at.text_input(key="wm_pt_C").set_value("200, 10").run()
    assert not at.exception
    assert any("Latitude must lie between -90 and 90" in e.value for e in at.error)
    at.text_input(key="wm_pt_C").set_value("north, east").run()
    assert any("is not two numbers" in e.value for e in at.error)
    at.text_input(key="wm_pt_C").set_value("![x](http://host/x.png), 1").run()  # shown as typed, never rendered
    message = next(e.value for e in at.error if "is not two numbers" in e.value)
    assert "\\!\\[x\\]\\(http\\://host/x.png\\)" in message


def test_choosing_a_density_family_gives_finite_held_out_nll(at):
    at.selectbox(key="wm_family").set_value("gaussian").run()
    assert not at.exception
    assert _metric(at, "Held-out NLL") != "+∞"
    assert float(_metric(at, "Held-out NLL")) > 9.9


def test_a_fault_inside_a_fragment_stays_in_its_panel(monkeypatch):
    import gdl.models.box

    def broken(*args, **kwargs):
        raise RuntimeError("explorer exploded")

    monkeypatch.setattr(gdl.models.box, "box_log_likelihood", broken)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("The likelihood explorer" in e.value and "explorer exploded" in e.value for e in at.error)
    assert any("Points A, B and C" in h.value for h in at.header)  # the sections after it still render
    assert at.dataframe[-1].value.shape[0] == 3  # and section 5 still works
