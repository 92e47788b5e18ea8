"""User text shown inside a Markdown message is shown as typed, never rendered."""
import re

from gdl.ui.widgets import plain


def test_every_markdown_or_streamlit_trigger_is_escaped_and_the_text_reads_the_same_once_unescaped():
    hostile = "![x](http://host/x.png) **b** _i_ `c` <b>h</b> :red[r] $x$ # h | t ~s~ \\ [l]: /u"
    escaped = plain(hostile)
    assert re.sub(r"\\(.)", r"\1", escaped) == hostile  # nothing lost, nothing added
    assert not re.search(r"(?<!\\)[\[\]()*_`<>:$#!|~]", escaped.replace("\\\\", ""))  # no bare trigger left


def test_newlines_cannot_start_new_markdown_blocks():
    assert "\n" not in plain("one\n# heading\r\n- item")
