"""AppTest: the World Map page runs, and its controls change what is shown."""
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gdl.ui import cache
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
    def sample_note():
        return next(i.value for i in at.info if i.value.startswith("All "))

    assert _metric(at, "Points outside") == "0 of 25"
    assert "1,000 points fall on land (sand), none at sea (blue), and they spread evenly" in sample_note()
    at.number_input(key="wm_n").set_value(12).run()
    assert not at.exception
    assert _metric(at, "Points outside") == "0 of 12"
    assert "but 12 are too few to show how they spread" in sample_note()  # no 'spread evenly' of 12 points
    assert any(m.value.startswith("**n = 2** of 12 points") for m in at.markdown)


def test_moving_a_theta_slider_inward_drops_the_log_likelihood_to_minus_infinity(at):
    before = _metric(at, "log L")
    assert before.startswith("−2")  # a true minus sign, as the charts beside it write it
    # the sliders start at the MLE box rounded outward: a caption says why its log L sits below the MLE's
    assert any("rounded outward to the sliders' 0.5° steps" in c.value for c in at.caption)
    at.slider(key="wm_theta3").set_value(0.0).run()
    assert _metric(at, "log L") == "−∞"
    assert _metric(at, "Points outside") != "0 of 25"
    assert before != "−∞"
    assert not any("rounded outward to the sliders' 0.5° steps" in c.value for c in at.caption)


def test_an_east_edge_chart_that_is_zero_throughout_says_which_other_edge_loses_points(at):
    def why():
        return [c.value for c in at.caption if c.value.startswith("No curve")]

    at.slider(key="wm_theta3").set_value(0.0).run()  # points lost to the east: the chart still has its curve
    assert not why()
    at.slider(key="wm_theta3").set_value(180.0)
    at.slider(key="wm_theta1").set_value(0.0).run()  # points lost to the west: no east edge brings them in
    n, seed, k = at.session_state["wm_theta_for"]  # the explorer's points: the first k of the page's n
    lost = int((cache.world_sample(n, seed)[:k, 0] < 0).sum())
    assert lost > 1
    assert why() == [f"No curve: {lost:,} points lie beyond the west edge of your box, and moving the east edge "
                     "cannot bring them in, so the likelihood is 0 wherever θ3 goes. Move that edge, or snap to the "
                     "MLE box."]


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
    """The metric is the Gaussian's maximum-likelihood fit to the page's N points (1,000, seed 0), scored on the
    app's 20,000 held-out points, worked out here without the page."""
    from gdl import data
    from gdl.data import world
    from gdl.ui.cache import HELD_OUT_N, HELD_OUT_SEED

    at.selectbox(key="wm_family").set_value("gaussian").run()
    assert not at.exception
    X = data.load("world", n=1000, seed=0)
    mean, cov = X.mean(axis=0), np.cov(X.T, bias=True)
    held_out = data.load("world", n=HELD_OUT_N, seed=HELD_OUT_SEED) - mean
    quad = np.einsum("ni,ij,nj->n", held_out, np.linalg.inv(cov), held_out)
    nll = np.mean(0.5 * quad + 0.5 * np.log(np.linalg.det(2 * np.pi * cov)))
    assert float(_metric(at, "Held-out NLL")) == pytest.approx(nll, abs=5e-4)
    assert float(_metric(at, "Gap to floor")) == pytest.approx(nll - world.entropy(), abs=5e-4)


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


def _shown_n(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**n = ")).split("**")[1]


def test_play_sets_up_the_timer_and_at_the_end_starts_again_and_reset_goes_back(at):
    at.button(key="wm_play").click().run()  # (AppTest runs the whole page; the browser test covers the section)
    assert not at.exception
    assert at.session_state["wm_playing"] and at.session_state["wm_grow_timer"]  # the timer a browser ticks by
    at.button(key="wm_play").click().run()  # pause
    assert not at.session_state["wm_playing"] and not at.session_state["wm_grow_timer"]
    at.slider(key="wm_grow_n").set_value(1000).run()  # the slider jumps to the end (N = 1,000)
    assert _shown_n(at) == "n = 1,000"
    at.button(key="wm_play").click().run()  # Play at the end plays again from the start
    assert at.session_state["wm_playing"] and at.session_state["wm_grow_n"] <= 3
    at.button(key="wm_step").click().run()  # a step by hand takes over from Play
    assert not at.session_state["wm_playing"]
    at.button(key="wm_play").click().run()
    at.button(key="wm_reset").click().run()
    assert _shown_n(at) == "n = 2" and not at.session_state["wm_playing"]


def test_the_comparison_table_measures_the_chosen_family_with_the_chosen_setting(at):
    at.selectbox(key="wm_family").set_value("kde").run()
    at.number_input(key="wm_setting_kde").set_value(20.0).run()
    at.toggle(key="wm_compare_all").set_value(True).run()
    assert not at.exception
    above = float(_metric(at, "Held-out NLL").replace(",", ""))
    rows = {r["family"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert float(rows["Kernel density"]["held-out NLL"].replace(",", "")) == pytest.approx(above, abs=1e-3)
    assert rows["Uniform box"]["held-out NLL"] == "+∞"  # written as the metrics write it (the box misses points)
    # percentages, shown with one decimal as the metrics above show them
    assert f"{rows['Kernel density']['accuracy']:.1f}%" == _metric(at, "Accuracy")
    assert f"{rows['Kernel density']['coverage']:.1f}%" == _metric(at, "Coverage")
    config = at.dataframe[0].proto.columns
    assert config.count('"%.1f%%"') == 2, config
    assert any("with your setting" in c.value for c in at.caption)


def test_more_mixture_components_than_points_says_how_many_are_used(at):
    at.number_input(key="wm_n").set_value(10).run()
    at.selectbox(key="wm_family").set_value("gmm").run()
    at.number_input(key="wm_setting_gmm").set_value(100).run()
    assert not at.exception
    assert any("at most 10 components" in c.value for c in at.caption)


def test_play_stops_when_the_user_leaves_the_page_and_comes_back():
    at = AppTest.from_file(script("app.py"), default_timeout=120).run()
    at.switch_page("pages/world_map.py").run()
    at.button(key="wm_play").click().run()
    assert at.session_state["wm_playing"]
    at.run()  # a rerun of the same page (any widget) leaves Play going
    assert at.session_state["wm_playing"]
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/world_map.py").run()
    assert not at.exception
    assert not at.session_state["wm_playing"] and not at.session_state["wm_grow_timer"]
    assert any(b.label == "▶ Play" for b in at.button if b.key == "wm_play")


def test_the_pages_settings_survive_a_visit_to_another_page():
    at = AppTest.from_file(script("app.py"), default_timeout=120).run()
    at.switch_page("pages/world_map.py").run()
    at.number_input(key="wm_n").set_value(500).run()
    at.selectbox(key="wm_family").set_value("kde").run()
    at.slider(key="wm_grow_n").set_value(17).run()
    at.switch_page("pages/home.py").run()
    at.run()  # a second run on Home: the World map's widgets are gone from it, their values must not be
    at.switch_page("pages/world_map.py").run()
    assert not at.exception
    assert at.number_input(key="wm_n").value == 500
    assert at.selectbox(key="wm_family").value == "kde"
    assert _shown_n(at) == "n = 17"
    at.toggle(key="wm_show_data_kde").set_value(True).run()  # a toggle, True/False like a button: kept by name
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/world_map.py").run()
    assert at.toggle(key="wm_show_data_kde").value is True
    # each family keeps its own: turned on for the KDE, the points do not then hide another family's shading
    at.selectbox(key="wm_family").set_value("gmm").run()
    assert at.toggle(key="wm_show_data_gmm").value is False
    at.selectbox(key="wm_family").set_value("box").run()
    assert at.toggle(key="wm_show_data_box").value is True
    at.selectbox(key="wm_family").set_value("kde").run()
    assert at.toggle(key="wm_show_data_kde").value is True  # and the KDE's is still on
    # a slider whose range follows N (the explorer's first k of 25) resets when N drops below it, as on its own
    at.number_input(key="wm_n").set_value(12).run()
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key="wm_explore_k").value <= 12
    # each change of range gives the slider a new identity: the value carried over is the latest, not the first
    at.number_input(key="wm_n").set_value(1000).run()
    at.slider(key="wm_explore_k").set_value(450).run()
    at.number_input(key="wm_n").set_value(480).run()
    at.slider(key="wm_explore_k").set_value(10).run()
    at.number_input(key="wm_n").set_value(300).run()
    assert not at.exception, at.exception
    assert at.slider(key="wm_explore_k").value == 10


def test_a_mixture_on_ten_points_is_called_overfitting_with_its_training_nll_and_a_readable_held_out_nll(at):
    at.number_input(key="wm_n").set_value(10).run()
    at.selectbox(key="wm_family").set_value("gmm").run()
    at.number_input(key="wm_setting_gmm").set_value(20).run()
    assert not at.exception
    held_out = _metric(at, "Held-out NLL")
    assert "× 10^" in held_out and len(held_out) <= 12  # 1.40 × 10^7, not '13,964,991.399' cut off
    warning = next(w.value for w in at.warning if w.value.startswith("Overfitting"))
    assert "on its own 10 training points" in warning and "fewer components" in warning
    at.number_input(key="wm_n").set_value(1000).run()
    at.selectbox(key="wm_family").set_value("gaussian").run()
    assert not any(w.value.startswith("Overfitting") for w in at.warning)
    assert any("no sign of overfitting" in i.value for i in at.info)  # a Gaussian is too simple to overfit


def test_the_zero_density_warnings_say_where_the_points_fall_and_give_only_advice_that_can_be_followed(at):
    from gdl.models.box import in_box
    from gdl.ui import cache

    at.number_input(key="wm_n").set_value(10).run()  # ten points: a small box, far inside the land's extremes
    warning = next(w.value for w in at.warning if "held-out points" in w.value)
    assert "well inside the land's true extremes" in warning and "just inside" not in warning
    at.number_input(key="wm_n").set_value(1000).run()
    at.selectbox(key="wm_family").set_value("histogram").run()
    at.number_input(key="wm_setting_histogram").set_value(5).run()  # the fewest bins the page offers
    assert not at.exception
    warning = next(w.value for w in at.warning if "held-out points" in w.value)
    X = cache.world_sample(1000, 0)  # the page's own points (N = 1,000, seed 0)
    held = cache.world_held_out()
    beyond = int((~in_box(held, X.min(axis=0), X.max(axis=0))).sum())
    assert f"{beyond:,} of them lie beyond the rectangle of the training points" in warning
    assert "fewer bins" not in warning and "try more points." in warning  # 5 bins is the floor; N can grow


def test_play_says_how_long_it_takes():
    at = open_page("pages/world_map.py", timeout=120)
    play = at.button(key="wm_play")
    assert "all 1,000 take about 44 s" in play.help  # 109 ticks of 0.4 s from two points to a thousand
