"""The project keeps its promises: README, CI, settings, catalogs and migrations agree."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.__main__ import build_parser
from bot.settings import Settings
from handlers.textsplit import split_html
from locales import DOMAIN_DIR, LOCALES
from locales.catalogs import extract_messages, missing_by_locale
from storage.db import create_engine
from storage.models import Base

ROOT = Path(__file__).resolve().parent.parent


def readme_block(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {title}", 1)[1]
    return section.split("```sh", 1)[1].split("```", 1)[0].strip()


def test_ci_runs_the_readme_test_command():
    command = readme_block("Test it")
    ci = (ROOT / ".ci" / "run").read_text()
    assert command in ci


def test_env_example_lists_every_setting():
    example = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    assert {name.upper() for name in Settings.model_fields} == names


def test_readme_documents_every_command():
    readme = (ROOT / "README.md").read_text()
    sub = next(a for a in build_parser()._actions if a.dest == "command")  # noqa: SLF001
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"`{name}" in readme, name


def test_every_msgid_in_the_code_is_translated_in_every_locale():
    messages = extract_messages(ROOT)
    assert len(messages) > 50
    missing = {loc: items for loc, items in missing_by_locale(messages).items() if items}
    assert missing == {}


def test_catalogs_have_no_fuzzy_or_empty_entries_and_correct_plural_forms():
    plurals = {"kk": 2, "ru": 3, "en": 2}
    for po in sorted(DOMAIN_DIR.glob("*/LC_MESSAGES/*.po")):
        locale = po.parent.parent.name
        assert locale in LOCALES
        catalog = read_po(po.open("rb"), locale=locale)
        assert not catalog.fuzzy, po
        assert catalog.num_plurals == plurals[locale], po
        for message in catalog:
            if not message.id:
                continue
            strings = [message.string] if isinstance(message.string, str) else message.string
            assert all(strings) and not message.fuzzy, (po.name, message.id)
            ids = re.findall(r"{(\w+)}", message.id if isinstance(message.id, str)
                             else message.id[0])
            for string in strings:
                assert sorted(re.findall(r"{(\w+)}", string)) == sorted(ids), message.id


async def test_migrations_create_exactly_the_models(db_url):
    engine = create_engine(db_url)

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        problems = await connection.run_sync(diff)
    await engine.dispose()
    assert problems == []


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(
    ["слово", "<b>жирный</b>", "&amp;", "&lt;", "<i>курсив текст</i>", "a" * 120, "\n", "\n\n",
     "сөз", "x"]), max_size=400), limit=st.integers(min_value=80, max_value=600))
def test_split_html_keeps_every_character_and_respects_the_limit(words, limit):
    text = " ".join(words)
    parts = split_html(text, limit)
    assert all(len(p) <= limit for p in parts)
    plain = re.sub(r"</?[bi]>", "", text)
    joined = re.sub(r"</?[bi]>", "", "".join(parts))
    assert re.sub(r"\s+", "", joined) == re.sub(r"\s+", "", plain)
    for part in parts:  # every part is valid HTML on its own
        assert part.count("<b>") == part.count("</b>") and part.count("<i>") == part.count("</i>")


def test_migrations_have_one_head():
    """A second head means two migrations were written side by side and not joined."""
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads
