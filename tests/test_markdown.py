"""Markdown written from the editor's runs reads as the same formatting."""

from __future__ import annotations

from crdt.markdown import body_from_markdown, markdown_from_ops


def test_spaces_at_the_edge_of_a_formatted_run_stay_outside_the_markers() -> None:
    ops = [("Les", None), (" élus ", {"bold": True}), ("décident", {"italic": True}), ("\n", None)]
    markdown = markdown_from_ops(ops)
    assert markdown == "Les **élus** *décident*\n"
    assert body_from_markdown(markdown) == [
        ("Les ", None),
        ("élus", {"bold": True}),
        (" ", None),
        ("décident", {"italic": True}),
        ("\n", None),
    ]


def test_a_formatted_run_of_spaces_only_is_written_as_plain_spaces() -> None:
    assert markdown_from_ops([("a", None), ("  ", {"bold": True}), ("b\n", None)]) == "a  b\n"
