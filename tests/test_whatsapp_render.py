"""How a message is shaped for WhatsApp, and how the templates file is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.settings import Settings
from bot.whatsapp import content_variables, definition, split_body
from bot.whatsapp_render import TEXT_BODY, render, to_whatsapp
from bot.whatsapp_templates import Templates, variables
from locales import translator

from .fake_twilio import _render

EN, KK = translator("en"), translator("kk")


def buttons(*labels: str) -> list[list[list[str]]]:
    return [[[label, f"x:{i}"]] for i, label in enumerate(labels, 1)]


def test_html_becomes_whatsapp_formatting():
    assert to_whatsapp("<b>Сынақ</b> &amp; <i> ертең </i>&lt;10:00&gt;") == \
        "*Сынақ* &  _ертең_ <10:00>"  # the spaces move outside the marks
    assert to_whatsapp("a<br>b <a href=\"https://x.kz/p\">link</a>") == "a\nb link (https://x.kz/p)"
    assert to_whatsapp("<b><i>both</i></b> <b> </b>end") == "*_both_*  end"


def test_three_short_choices_are_quick_replies():
    rendered = render("Тілді таңдаңыз", buttons("Қазақша", "Русский", "English"), KK)
    assert rendered.kind == "quick_reply" and rendered.numbered == ()
    assert [t for t, _p in rendered.choices] == ["Қазақша", "Русский", "English"]


def test_four_to_ten_or_longer_titles_make_a_list_picker():
    four = render("Q", buttons("1", "2", "3", "« Back"), KK)
    assert four.kind == "list" and four.button == "Таңдау"
    wide = render("Q", buttons("Exactly twenty-one ch", "b"), EN)  # > 20: no quick reply
    assert wide.kind == "list"


@pytest.mark.parametrize("labels, media", [
    (("A label of twenty-five ch", "b"), False),  # > 24 characters
    (tuple(str(i) for i in range(11)), False),  # more than 10
    (("Same", "Same"), False),  # titles must differ
    (("Yes", "No"), True),  # a file cannot carry buttons
])
def test_otherwise_a_numbered_list_answered_by_number(labels, media):
    rendered = render("<b>Question</b>", buttons(*labels), EN, has_media=media)
    assert rendered.kind == "text"
    assert rendered.body.startswith("*Question*\n\n1. ")
    assert rendered.body.endswith("_Reply with the number of your choice._")
    assert rendered.numbered == tuple(f"x:{i}" for i in range(1, len(labels) + 1))


def test_a_numbered_list_never_exceeds_the_body_limit():
    rendered = render("x" * 1024, buttons(*[f"A long choice label number {i}" * 2
                                             for i in range(12)]), EN)
    assert len(rendered.body) <= TEXT_BODY and "12. A long" in rendered.body


def test_buttons_without_text_still_have_a_body():
    assert render("", buttons("Yes", "No"), KK).body == "Таңдаңыз:"


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=st.sampled_from("aб ə\n.*"), min_size=1, max_size=1024),
       n=st.integers(min_value=1, max_value=10))
def test_the_generic_content_renders_back_to_the_message(body, n):
    kind = "quick_reply" if n <= 3 else "list"
    choices = tuple((f"Option {i}", f"f:1:s:{i}") for i in range(n))
    rendered = render(body, [[[t, p]] for t, p in choices], EN)
    if rendered.kind == "text":
        return  # (a body of only white space strips to nothing: numbered)
    assert rendered.kind == kind
    chunks, values = content_variables(rendered)
    assert all(len(v) <= 255 for v in values.values())
    shown = _render(definition("x", kind, n, chunks)["types"], values)
    assert shown is not None
    assert shown[1] == rendered.body and shown[2] == list(choices)


def test_body_pieces_are_cut_inside_words():
    text = ("слово " * 100).strip()
    pieces = split_body(text)
    assert "".join(pieces) == text and all(len(p) <= 255 for p in pieces)
    assert all(p == p.strip() for p in pieces)


def test_template_variables_are_one_line_and_short():
    values = variables("Сәуле  Серікова", "<b>Ертең</b> 10:00-де\n\nсынақ " + "сөз " * 100)
    assert values["1"] == "Сәуле Серікова"
    assert values["2"].startswith("*Ертең* 10:00-де сынақ сөз")
    assert "\n" not in values["2"] and len(values["2"]) <= 200 and values["2"].endswith("…")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return path


SID = "HX" + "0" * 32


def test_the_templates_file_maps_purposes_and_languages(tmp_path):
    templates = Templates.load(write(tmp_path, f"""
[generic]
purposes = ["consent.*"]
kk = "{SID}"
[reminder]
purposes = ["consent.reminder"]
ru = "{'HX' + '1' * 32}"
"""))
    assert templates.find("consent.reminder").name == "reminder"  # exact beats a pattern
    assert templates.find("consent.request").name == "generic"
    assert templates.find("summary") is None
    reminder = templates.find("consent.reminder")
    assert reminder.sid_for("kk") == "HX" + "1" * 32  # the only language it has
    assert Templates.load(None).find("consent.reminder") is None


@pytest.mark.parametrize("text, problem", [
    ('[a]\nkk = "HX00"\npurposes = ["x"]', "ContentSid"),
    (f'[a]\nkk = "{SID}"', "purposes"),
    (f'[a]\npurposes = ["x"]\nkk = "{SID}"\nde = "{SID}"', "unknown keys"),
    ('a = 1', "must be a table"),
])
def test_a_wrong_templates_file_stops_the_start_with_a_clear_message(tmp_path, text, problem):
    with pytest.raises(ValueError, match=problem):
        Templates.load(write(tmp_path, text))


def test_an_empty_templates_setting_means_none():
    settings = Settings(whatsapp_templates_file="", _env_file=None)  # type: ignore[call-arg]
    assert settings.whatsapp_templates_file is None
