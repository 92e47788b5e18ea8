"""widgets.number_box on its own, in a one-box app: the page hears every number, refuses one out of range with a
message while keeping its last good value, says nothing for a disabled box, and follows a range that changes with
the data without blaming the user for a value nobody typed."""
import pytest
from streamlit.testing.v1 import AppTest


def one_box_app():
    import streamlit as st

    from gdl.ui.widgets import number_box

    low, high, default = st.session_state.get("range", (0, 39, 5))
    used, ok = number_box(st, "Image number", low, high, default, key="box",
                          disabled=st.session_state.get("off", False))
    st.markdown(f"uses {used!r}, ok {ok}")


@pytest.fixture
def at():
    return AppTest.from_function(one_box_app, default_timeout=30).run()


def shown(at) -> str:
    return at.markdown[-1].value


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_a_typed_number_out_of_range_keeps_the_last_good_one_and_says_so(at):
    assert shown(at) == "uses 5, ok True" and not errors(at)
    assert at.number_input(key="box").label == "Image number (0–39)"
    at.number_input(key="box").set_value(12).run()
    assert shown(at) == "uses 12, ok True" and not errors(at)
    at.number_input(key="box").set_value(40).run()
    assert shown(at) == "uses 12, ok False"
    assert errors(at) == ["40 is outside 0–39: the page still uses 12."]
    at.number_input(key="box").set_value(-1).run()
    assert shown(at) == "uses 12, ok False" and errors(at) == ["-1 is outside 0–39: the page still uses 12."]
    at.number_input(key="box").set_value(39).run()
    assert shown(at) == "uses 39, ok True" and not errors(at)


def test_fractions_and_large_numbers_are_written_out():
    at = AppTest.from_function(one_box_app, default_timeout=30)
    at.session_state["range"] = (0.2, 20.0, 2.0)
    at.run()
    assert at.number_input(key="box").label == "Image number (0.2–20)"
    at.number_input(key="box").set_value(0.1).run()
    assert errors(at) == ["0.1 is outside 0.2–20: the page still uses 2."]
    at.number_input(key="box").set_value(1e12).run()
    assert errors(at) == ["1,000,000,000,000 is outside 0.2–20: the page still uses 2."]


def test_a_disabled_box_gets_no_message_and_refuses_nothing(at):
    at.number_input(key="box").set_value(12).run()
    at.number_input(key="box").set_value(400).run()
    assert errors(at)
    at.session_state["off"] = True
    at.run()
    assert not errors(at) and shown(at) == "uses 12, ok True"


def test_a_range_that_shrinks_under_a_value_puts_it_back_to_the_default_without_a_message(at):
    at.number_input(key="box").set_value(30).run()  # image 30 of a 40-image file
    at.session_state["range"] = (0, 19, 5)  # another file, of 20 images
    at.run()
    assert not errors(at) and shown(at) == "uses 5, ok True" and at.number_input(key="box").value == 5
    at.number_input(key="box").set_value(25).run()  # typed now: that is the user's, and gets the message
    assert errors(at) == ["25 is outside 0–19: the page still uses 5."]


def test_a_range_that_grows_keeps_the_value(at):
    at.number_input(key="box").set_value(30).run()
    at.session_state["range"] = (0, 99, 5)
    at.run()
    assert shown(at) == "uses 30, ok True" and not errors(at)


def test_a_default_outside_the_range_is_a_programming_error():
    from gdl.ui.widgets import number_box

    with pytest.raises(ValueError, match="its default 50 is outside 0–39"):
        number_box(None, "Image number", 0, 39, 50, key="box")
