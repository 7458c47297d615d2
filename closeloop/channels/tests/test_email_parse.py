"""The email parser on real MIME bytes: charsets, headers, HTML, files, quoted history, and
input that is not quite mail (it never crashes)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closeloop.channels.adapters import MalformedInput
from closeloop.channels.email.noise import classify_noise
from closeloop.channels.email.parse import message_id_of, parse_email
from closeloop.channels.email.text import split_quoted
from closeloop.channels.tests.email_samples import (
    PNG,
    bounce_mail,
    encoded_word,
    rich_mail,
    text_mail,
)

CHINESE = "您好，我的订单还没有到，请帮我查一下。"


@pytest.mark.parametrize(
    ("charset", "body"),
    [
        ("gbk", CHINESE),
        ("gb2312", CHINESE),
        ("gb18030", CHINESE + "㐀"),
        ("big5", "您好，我的訂單還沒有到。"),
        ("iso-2022-jp", "ご注文の商品が届きません。"),
        ("iso-8859-1", "Ma commande n'est pas arrivée, déjà deux semaines."),
        ("utf-8", "Zamówienie nie dotarło 🙁 " + CHINESE),
    ],
)
def test_bodies_decode_in_their_declared_charset(charset, body):
    parsed = parse_email(text_mail(body, charset=charset))

    assert parsed.text == body
    assert parsed.new_text == body


def test_gbk_characters_in_mail_labelled_gb2312_still_decode():
    # 㵘 and 镕 are GBK/GB18030 but not GB2312: mailers label such text gb2312 anyway.
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <g@x>\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "朱镕基 说".encode("gbk")
    )

    assert parse_email(raw).text == "朱镕基 说"


def test_gb2312_text_mislabelled_iso_8859_1_reads_as_chinese():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <m@x>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + CHINESE.encode("gb2312")
    )

    assert parse_email(raw).text == CHINESE


def test_real_latin_1_is_not_mistaken_for_chinese():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <m@x>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nd\xe9j\xe0 vu, caf\xe9 cr\xe8me"
    )

    assert parse_email(raw).text == "déjà vu, café crème"


def test_unknown_charset_falls_back_to_utf8():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <m@x>\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n" + "héllo 你好".encode()
    )

    assert parse_email(raw).text == "héllo 你好"


@pytest.mark.parametrize("charset", ["gb2312", "gbk", "big5", "utf-8", "iso-2022-jp"])
def test_rfc2047_subject_and_sender_name(charset):
    subject, name = {
        "big5": ("訂單問題", "張三"),
        "iso-2022-jp": ("注文について", "山田"),
    }.get(charset, ("订单问题", "张三"))
    raw = text_mail(
        subject=encoded_word(subject, charset) + " #123",
        sender=f"{encoded_word(name, charset)} <Zhang@Example.CN>",
    )

    parsed = parse_email(raw)

    assert parsed.subject == f"{subject} #123"
    assert parsed.from_address == "zhang@example.cn"
    assert parsed.from_name == name


def test_encoded_word_split_inside_a_character_is_joined():
    data = "退货申请".encode("gbk")
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()
    raw = text_mail(subject=f"=?GBK?B?{first}?= =?GBK?B?{second}?=")

    assert parse_email(raw).subject == "退货申请"


def test_raw_8bit_headers_in_utf8_and_gbk():
    raw = (
        b"From: " + "李四".encode("gbk") + b" <li@example.cn>\r\n"
        b"Subject: " + "发票".encode() + b"\r\nMessage-ID: <h@x>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nhi"
    )

    parsed = parse_email(raw)

    assert parsed.subject == "发票"
    assert (parsed.from_name, parsed.from_address) == ("李四", "li@example.cn")


def test_threading_headers_and_addresses():
    raw = text_mail(
        message_id="<child@example.com>",
        in_reply_to="<parent@shop.example>",
        references="<root@example.com>\r\n <parent@shop.example>",
        extra={"Reply-To": "Alice Work <alice@work.example>", "Cc": "x@example.com, y@example.com"},
    )

    parsed = parse_email(raw)

    assert parsed.message_id == "child@example.com"
    assert parsed.in_reply_to == "parent@shop.example"
    assert parsed.references == ["root@example.com", "parent@shop.example"]
    assert parsed.reply_to == "alice@work.example"
    assert parsed.to == ["support@shop.example"]
    assert parsed.cc == ["x@example.com", "y@example.com"]
    assert parsed.date is not None
    assert parsed.date.utcoffset().total_seconds() == 8 * 3600


def test_alternative_prefers_plain_text_and_sanitises_html():
    parsed = parse_email(rich_mail(text="Plain words."))

    assert parsed.text == "Plain words."
    assert "<script" not in parsed.html
    assert "alert" not in parsed.html
    assert 'src="cid:photo1@example.com"' in parsed.html


def test_html_only_mail_gets_a_text_version():
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Hello&nbsp;there</p>"
        "<div>Second <b>line</b></div><p onclick='x()'>Third</p></body></html>"
    )
    parsed = parse_email(rich_mail(text=None, html=html, inline_png=False))

    assert parsed.text == "Hello there\n\nSecond line\n\nThird"
    assert "onclick" not in parsed.html
    assert "color:red" not in parsed.html


def test_inline_images_and_attachments_are_files():
    raw = rich_mail(
        attachments=[
            ("发票 2026.pdf", b"%PDF-1.4 invoice", "pdf"),
            ("receipt.zip", b"PK\x03\x04", "zip"),
        ]
    )

    files = parse_email(raw).files

    assert [(f.filename, f.content_type, f.is_inline, f.content_id) for f in files] == [
        ("inline-1.png", "image/png", True, "photo1@example.com"),
        ("发票 2026.pdf", "application/pdf", False, ""),
        ("receipt.zip", "application/zip", False, ""),
    ]
    assert files[0].data == PNG
    assert files[1].data == b"%PDF-1.4 invoice"


def test_filename_encoded_as_rfc2047_in_a_quoted_parameter():
    name = encoded_word("合同.docx", "gbk")
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <f@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee file\r\n--b\r\n"
        b'Content-Type: application/octet-stream; name="' + name.encode() + b'"\r\n'
        b"Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"aGVsbG8=\r\n--b--\r\n"
    )

    parsed = parse_email(raw)

    assert parsed.text == "see file"
    assert [(f.filename, f.data) for f in parsed.files] == [("合同.docx", b"hello")]


@pytest.mark.parametrize(
    ("text", "new", "quoted_start"),
    [
        (
            "Thanks, it works now.\n\nOn Mon, 5 Jan 2026 at 10:00, Support <support@shop.example>"
            " wrote:\n> Please restart it.",
            "Thanks, it works now.",
            "On Mon",
        ),
        (
            "Thanks, it works now.\n\nOn Mon, 5 Jan 2026 at 10:00, Support\n<support@x> wrote:\n"
            "> old",
            "Thanks, it works now.",
            "On Mon",
        ),
        ("好的，谢谢。\n\n在 2026年1月5日 10:00，客服 写道：\n> 请重启", "好的，谢谢。", "在 2026"),
        (
            "已收到\n\n------------------ 原始邮件 ------------------\n发件人: 客服\n主题: 订单",
            "已收到",
            "------------------ 原始邮件",
        ),
        (
            "See below.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nold text",
            "See below.",
            "-----Original Message-----",
        ),
        (
            "Got it.\n\n________________________________\nFrom: Support <s@x>\nSent: Monday\n"
            "To: me\nSubject: Re: x\n\nold",
            "Got it.",
            "________________________________",
        ),
        ("收到\n\n发件人: 客服 <s@x>\n发送时间: 2026年1月5日\n收件人: 我\n\n旧", "收到", "发件人"),
    ],
)
def test_quoted_history_is_split_from_the_new_text(text, new, quoted_start):
    split = split_quoted(text)

    assert split.new_text == new
    assert split.quoted_text.startswith(quoted_start)


def test_signature_and_interleaved_quotes():
    split = split_quoted("> Did you restart?\nYes I did.\n> And?\nStill broken.\n-- \nAlice\n+86 1")

    assert split.new_text == "Yes I did.\nStill broken."
    assert split.quoted_text == "> Did you restart?\n> And?"
    assert split.signature == "Alice\n+86 1"


def test_a_line_mentioning_from_is_not_history():
    text = "From: my side the order looks fine.\nIt never arrived."

    assert split_quoted(text).new_text == text


def test_message_id_of_uses_the_header_or_a_hash():
    assert message_id_of(text_mail(message_id="<abc@x>")) == "abc@x"
    raw = text_mail(message_id=None)
    assert message_id_of(raw).startswith("sha256:")
    assert message_id_of(raw) == message_id_of(raw)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto_reply"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"Precedence": "junk"}, "bulk"),
        ({"Precedence": "auto_reply"}, "auto_reply"),
        ({"X-Autoreply": "yes"}, "auto_reply"),
        ({"X-Autorespond": "Out of office"}, "auto_reply"),
        ({"X-Auto-Response-Suppress": "All"}, "auto_reply"),
        ({"List-Id": "<news.shop.example>"}, "bulk"),
        ({"List-Unsubscribe": "<mailto:unsub@news.example>"}, "bulk"),
        ({"Auto-Submitted": "no"}, ""),
        ({}, ""),
    ],
)
def test_noise_headers(extra, reason):
    assert classify_noise(parse_email(text_mail(extra=extra))).reason == reason


def test_mailer_daemon_and_dsn_are_bounces_naming_the_original():
    noise = classify_noise(parse_email(bounce_mail("reply-1@shop.example")))

    assert noise.reason == "bounce"
    assert noise.bounced_ids == ["reply-1@shop.example"]
    assert noise.is_permanent
    assert "5.1.1" in noise.bounce_detail
    delayed = classify_noise(parse_email(bounce_mail("r@x", status="4.4.1", action="delayed")))
    assert delayed.reason == "bounce"
    assert not delayed.is_permanent
    daemon = text_mail(sender="postmaster@mx.example.net")
    assert classify_noise(parse_email(daemon)).reason == "bounce"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n",
        b"\x00\x01\x02\xff\xfe garbage without headers",
        b"this is just a sentence, not mail",
    ],
)
def test_input_that_is_not_mail_is_malformed(raw):
    with pytest.raises(MalformedInput):
        parse_email(raw)


def test_broken_boundary_and_truncated_base64_still_read():
    raw = (
        b"From: a@example.com\r\nSubject: broken\r\nMessage-ID: <b@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/plain\r\n\r\nfirst part text\r\n"
        b"--never-closed\r\nContent-Type: application/pdf; name=a.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJ"
    )

    parsed = parse_email(raw)

    assert parsed.text == "first part text"
    assert [f.filename for f in parsed.files] == ["a.pdf"]
    assert parsed.defects  # the breakage is recorded


def test_missing_boundary_parameter_keeps_the_body():
    raw = (
        b"From: a@example.com\r\nSubject: s\r\nMessage-ID: <c@x>\r\n"
        b"Content-Type: multipart/alternative\r\n\r\nsome text without parts\r\n"
    )

    parsed = parse_email(raw)

    assert parsed.subject == "s"
    assert "NoBoundaryInMultipartDefect" in parsed.defects


SAMPLES = [
    text_mail(CHINESE, charset="gbk", subject=encoded_word("订单", "gb2312")),
    rich_mail(attachments=[("a.pdf", b"%PDF", "pdf")]),
    bounce_mail("x@y"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes_never_crash(raw):
    try:
        parsed = parse_email(raw)
    except MalformedInput:
        return
    classify_noise(parsed)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)), max_size=6),
    st.integers(0, 10_000),
)
def test_fuzz_mutated_real_messages_never_crash(sample, edits, cut):
    raw = bytearray(sample)
    for position, data in edits:
        index = position % (len(raw) + 1)
        raw[index : index + len(data)] = data
    raw = raw[: max(1, len(raw) - cut % max(1, len(raw) // 2))]
    try:
        parsed = parse_email(bytes(raw))
    except MalformedInput:
        return
    classify_noise(parsed)
    assert isinstance(parsed.new_text, str)
