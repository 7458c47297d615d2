"""Article bodies: Markdown rendered, then sanitised so nothing in them runs."""

from closeloop.knowledge.markdown import plain_text, render_markdown


def test_markdown_renders_headings_lists_and_tables():
    html = render_markdown("# Title\n\n- one\n- two\n\n|a|b|\n|-|-|\n|1|2|")
    assert "<h1>Title</h1>" in html
    assert "<li>one</li>" in html
    assert "<table>" in html
    assert "<td>1</td>" in html


def test_script_tags_come_out_as_text():
    html = render_markdown("Hello <script>alert(1)</script>")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_image_event_handlers_come_out_inert():
    html = render_markdown('<img src=x onerror="alert(1)">\n\n![pic](https://example.com/a.png)')
    assert "&lt;img src=x onerror" in html  # shown as text, not parsed as a tag
    assert html.count("<img ") == 1
    assert '<img src="https://example.com/a.png" alt="pic">' in html


def test_javascript_links_are_not_links():
    html = render_markdown("[x](javascript:alert(1)) and [y](JaVaScRiPt:alert(2))")
    assert "href" not in html


def test_links_get_noopener_nofollow():
    html = render_markdown("[docs](https://example.com/help)")
    assert html.strip() == (
        '<p><a href="https://example.com/help" rel="noopener nofollow">docs</a></p>'
    )


def test_plain_text_keeps_words_of_adjacent_blocks_apart():
    text = plain_text(render_markdown("# Refund\n\nCard *payment*"))
    assert text.split() == ["Refund", "Card", "payment"]
