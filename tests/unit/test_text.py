"""What is shown of hostile text: every control and format character escaped, visibly."""

from __future__ import annotations

import pytest

from envbuild.core.text import printable, printable_lines, refuse_controls
from envbuild.errors import UserError


def test_escapes_are_visible_and_newlines_kept_only_between_lines():
    assert printable("a\x1b[2Jb\rc\nd\x00\u202e\u200b") == "a\\x1b[2Jb\\x0dc\\x0ad\\x00\\u202e\\u200b"
    assert printable_lines("row 1\nrow\x07 2\n") == "row 1\nrow\\x07 2\n"
    assert printable("numpy 2.1.0 (ünïcode is fine)") == "numpy 2.1.0 (ünïcode is fine)"


def test_refuse_controls_names_what_and_shows_it_escaped():
    assert refuse_controls("images/demo", "the image directory") == "images/demo"
    with pytest.raises(UserError, match=r"the image directory holds a control character: 'img\\\\x0a-r x'"):
        refuse_controls("img\n-r x", "the image directory")
