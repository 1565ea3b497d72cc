"""People and links in an import: nothing removed unless asked (and said first), phones
however they are written, headers in Kazakh, Russian and English, a class's own language,
and what ``import --check`` says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.coordinator.file_import import report_lines
from locales import translator
from storage.importer import import_files, sources
from storage.importer.schema import BY_KEY
from storage.models import ClassTeacher, Guardian, Person, SchoolClass, Trial

from .demo_school import COORDINATOR, PARENTS, PUPILS
from .test_import import EXAMPLES, cli_env, csv_files, dump, edited, run, synaq, to_csv

EN = translator("en")


async def person(h, name: str) -> Person:
    async with h.db() as session:
        found = await session.scalar(select(Person).where(Person.full_name == name))
        assert found is not None, name
        return found


async def children_of(h, parent: str) -> set[str]:
    parent_id = (await person(h, parent)).id
    async with h.db() as session:
        return set(await session.scalars(
            select(Person.full_name).join(Guardian, Guardian.pupil_id == Person.id)
            .where(Guardian.parent_id == parent_id)))


# --- 19.2: an import never removes what a file does not mention ----------------------------


async def test_a_later_file_naming_one_child_keeps_the_parents_other_children(h):
    await run(h, csv_files(EXAMPLES))
    assert await children_of(h, "Серік Жұмабеков") == {"Данияр Серікұлы", "Назерке Жұмабек"}
    # The 7А class teacher's list: the parent, with the one child who is in 7А.
    later = [["name", "phone", "pupils"],
             ["Серік Жұмабеков", "+7 705 300 00 17", "Дана Серікова"]]
    result = await run(h, [("parents.csv", to_csv(later))])
    assert result.ok and result.removals == []
    assert await children_of(h, "Серік Жұмабеков") == {
        "Данияр Серікұлы", "Назерке Жұмабек", "Дана Серікова"}


async def test_a_removal_must_be_asked_for_and_is_said_before_anything_is_written(h):
    await run(h, csv_files(EXAMPLES))
    asked = [["name", "phone", "pupils", "remove_pupils"],
             ["Серік Жұмабеков", "+7 705 300 00 17", "", "Назерке Жұмабек"]]
    files = [("parents.csv", to_csv(asked))]
    before = await dump(h)
    async with h.sessions() as session, session.begin():
        checked = await import_files(session, files, now=h.now)
        await session.rollback()  # what `synaq import --check` does
    assert await dump(h) == before
    lines = report_lines(checked, EN, checked=True)
    assert "The file asks to remove these links (1); importing it would remove them:" in lines
    assert "• Серік Жұмабеков — Назерке Жұмабек (10А) (the link; parents.csv, row 2)" in lines

    done = await run(h, files)
    assert done.ok
    assert "Removed, as the file asks (1):" in report_lines(done, EN)
    assert await children_of(h, "Серік Жұмабеков") == {"Данияр Серікұлы"}
    assert (await person(h, "Назерке Жұмабек")).class_id is not None  # the pupil stays


# --- 19.3: a person named by phone, however the phone is written --------------------------


STYLES = ["+7 {a} {b} {c} {d}", "8-{a}-{b}-{c}-{d}", "+7({a}){b}{c}{d}", "8{a}{b}{c}{d}",
          "8 ({a}) {b}-{c}-{d}"]


def spelled(phone: str, style: str) -> str:
    """+77011000002 written in ``style``."""
    d = phone[2:]
    return style.format(a=d[:3], b=d[3:6], c=d[6:8], d=d[8:])


@pytest.mark.parametrize("style", STYLES)
async def test_a_class_teacher_and_a_trials_people_are_found_by_any_spelling_of_the_phone(
        h, style):
    def teacher(rows: list[list[str]]) -> None:
        rows[2][rows[0].index("teacher")] = spelled("+77011000002", style)  # 8А: Сапарова

    def people(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("mentor")] = spelled("+77022000001", style)  # Бақыт Оспанов
        rows[1][rows[0].index("coordinator")] = spelled("+77011000001", style)  # Төлеуова
        rows[1][rows[0].index("escort")] = spelled("+77011000002", style)

    files = edited(edited(csv_files(EXAMPLES), "classes.csv", teacher), "trials.csv", people)
    result = await run(h, files)
    assert result.ok, [p.render(EN) for p in result.errors]
    saparova = (await person(h, "Айгерім Сапарова")).id
    async with h.db() as session:
        link = await session.scalar(select(ClassTeacher).join(
            SchoolClass, SchoolClass.id == ClassTeacher.class_id).where(SchoolClass.name == "8А"))
        trial = await session.scalar(select(Trial).where(Trial.title.startswith("Агроном: көш")))
    assert link is not None and link.teacher_id == saparova
    assert trial is not None and trial.escort_id == saparova
    assert trial.mentor_id == (await person(h, "Бақыт Оспанов")).id
    assert trial.coordinator_id == (await person(h, "Жанар Төлеуова")).id


# --- 19.4: headers in Kazakh, Russian and English; a class's own language ------------------

# Every column of every sheet, as a Kazakh and a Russian school would head it.
HEADERS = {
    "school": (["Атауы", "Ауданы", "Ауылдық", "Тілі", "Уақыт белдеуі"],
               ["Название", "Район", "Сельская", "Язык", "Часовой пояс"]),
    "staff": (["Аты-жөні", "Рөлі", "Телефоны", "Лауазымы", "Тілі"],
              ["ФИО", "Роль", "Телефон", "Должность", "Язык"]),
    "partners": (["Атауы", "БСН", "Мекенжайы", "Байланыс тұлға", "Байланыс телефоны",
                  "Саласы", "Келісімнің басталуы", "Келісімнің аяқталуы"],
                 ["Наименование", "БИН", "Адрес", "Контактное лицо", "Контактный телефон",
                  "Отрасль", "Начало договора", "Окончание договора"]),
    "sites": (["Серіктес", "Атауы", "Мекенжайы", "Орны", "Фото ережесі", "Ережелер",
               "Эвакуация"],
              ["Партнёр", "Название", "Адрес", "Место", "Фотосъёмка", "Правила", "Эвакуация"]),
    "classes": (["Атауы", "Параллель", "Сынып жетекшісі", "Оқыту тілі"],
                ["Название", "Параллель", "Классный руководитель", "Язык обучения"]),
    "pupils": (["Аты-жөні", "Сыныбы", "Сынып деңгейі", "Тілі", "Ерекше білім беру "
                "қажеттіліктері"],
               ["ФИО", "Класс", "Параллель", "Язык", "ООП"]),
    "parents": (["Аты-жөні", "Телефоны", "Тілі", "Балалары", "Балаларды ажырату"],
                ["ФИО", "Телефон", "Язык", "Дети", "Отвязать детей"]),
    "mentors": (["Аты-жөні", "Серіктес", "Лауазымы", "Телефоны", "Тілі"],
                ["ФИО", "Партнер", "Должность", "Телефон", "Язык"]),
    "trials": ([
        "№", "Атауы", "Күні", "Басталуы", "Аяқталуы", "Аяқталу күні", "Сыныбы", "Оқушылар",
        "Серіктес", "Алаң", "Тәлімгер", "Үйлестіруші", "Алып жүруші",
        "Оқушыға арналған мақсат", "Мектептің мақсаты", "Еңбек функциясы", "1-қадам",
        "2-қадам", "3-қадам", "Пәндер", "Жабдық", "ЖҚҚ", "Тәуекелдер", "Тайминг",
        "Күтілетін артефакт", "Қауіпсіздік нұсқамасы", "Фото ережесі", "Ерекше шарттар",
        "Эвакуация", "Мамандық", "Саласы", "Санаты", "Сыныптар тобы", "Сынақ түрі",
        "Мақсаты", "Форматы", "ЕБҚ үшін ашық", "Жиналу орны", "Жиналу уақыты", "Алып келу",
        "Мұғалімнің бағасы"], [
        "Номер", "Название", "Дата", "Начало", "Окончание", "Дата окончания", "Класс",
        "Ученики", "Партнер", "Площадка", "Наставник", "Координатор", "Сопровождающий",
        "Цель для ученика", "Цель школы", "Трудовая функция", "Шаг 1", "Шаг 2", "Шаг 3",
        "Предметы", "Оборудование", "СИЗ", "Риски", "Хронометраж", "Ожидаемый артефакт",
        "Инструктаж", "Фото", "Особые условия", "Эвакуация", "Профессия", "Отрасль",
        "Категория", "Группа классов", "Тип", "Назначение", "Формат", "Открыта для ООП",
        "Место сбора", "Время сбора", "Взять с собой", "Оценка учителя"]),
}


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("sheet", list(HEADERS))
def test_every_column_of_every_sheet_is_known_by_its_kazakh_russian_and_english_name(
        sheet, language):
    entity = BY_KEY[sheet]
    kk, ru = HEADERS[sheet]
    header = {"kk": kk, "ru": ru, "en": [c.key for c in entity.columns]}[language]
    assert len(header) == len(entity.columns), "the test lists every column"
    tables, problems = sources.read(f"{sheet}.csv", to_csv([header, ["x"] * len(header)]))
    assert [p.render(EN) for p in problems] == []
    assert list(tables[0].headers) == [c.key for c in entity.columns]


async def test_a_pupils_list_with_kazakh_headers_keeps_every_language(h):
    await run(h, csv_files(EXAMPLES))
    rows = [["Аты-жөні", "Сыныбы", "Тілі"], ["Айдана Бекова", "8А", "ru"],
            ["Ерасыл Нұров", "8А", "en"]]
    result = await run(h, [("оқушылар.csv", to_csv(rows))])
    assert result.ok and result.problems == []
    assert (await person(h, "Айдана Бекова")).locale == "ru"
    assert (await person(h, "Ерасыл Нұров")).locale == "en"


async def test_an_unknown_column_is_a_note_in_the_report_and_the_rest_is_imported(h):
    await run(h, csv_files(EXAMPLES))
    rows = [["ФИО", "Класс", "Любимый предмет"], ["Айдана Бекова", "8А", "химия"]]
    result = await run(h, [("pupils.csv", to_csv(rows))])
    assert result.ok and result.counts is not None and result.counts.created == {"pupils": 1}
    lines = report_lines(result, EN)
    assert lines[0].startswith("Imported.") and "Notes:" in lines
    assert any("column “Любимый предмет”: Unknown column; it was not read" in line
               for line in lines)


async def test_a_class_language_is_the_default_of_its_pupils_and_parents(h):
    await run(h, csv_files(EXAMPLES))
    classes = [["Атауы", "Параллель", "Оқыту тілі"], ["8Б", "8", "ru"]]
    pupils = [["name", "class", "locale"], ["Иван Петров", "8Б", ""],
              ["Әсем Нұрова", "8Б", "kk"]]
    parents = [["name", "phone", "pupils"], ["Пётр Петров", "+7 705 999 00 01", "Иван Петров"]]
    result = await run(h, [("classes.csv", to_csv(classes)), ("pupils.csv", to_csv(pupils)),
                           ("parents.csv", to_csv(parents))])
    assert result.ok, [p.render(EN) for p in result.problems]
    async with h.db() as session:
        school_class = await session.scalar(select(SchoolClass).where(SchoolClass.name == "8Б"))
        assert school_class is not None and school_class.locale == "ru"
    assert (await person(h, "Иван Петров")).locale == "ru"
    assert (await person(h, "Әсем Нұрова")).locale == "kk"  # her own row says so
    assert (await person(h, "Пётр Петров")).locale == "ru"
    before = await dump(h)
    again = await run(h, [("classes.csv", to_csv(classes)), ("pupils.csv", to_csv(pupils)),
                          ("parents.csv", to_csv(parents))])
    assert again.counts is not None and not again.counts.changed
    assert await dump(h) == before


# --- 19.6: `import --check` -----------------------------------------------------------------


async def test_import_check_says_what_was_checked_and_that_nothing_was_saved(db_url, tmp_path):
    env = cli_env(db_url, tmp_path)
    code, out, err = await synaq(env, "import", "--check",
                                 *map(str, sorted(EXAMPLES.glob("*.csv"))))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ("Checked: every row of every file is fine. Nothing was saved; "
                        "importing the files would give:")
    assert "pupils: 21 new, 0 updated, 0 unchanged" in lines
    assert not any(line.startswith("Imported") or "saved:" in line for line in lines)
    code, out, _err = await synaq(env, "import", *map(str, sorted(EXAMPLES.glob("*.csv"))))
    assert out.startswith("Imported.")  # the check left nothing behind: all 21 are new again
    assert "pupils: 21 new" in out


async def test_in_the_chat_a_removal_is_shown_first_and_done_when_the_file_comes_again(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    parent, child = PARENTS[0], PUPILS[0]
    phone = "+77059990001"
    async with h.db() as session:
        stored = await session.get(Person, demo.id(parent))
        assert stored is not None
        stored.phone = phone  # the school's lists know parents by phone
    assert child in await children_of(h, parent)
    asked = to_csv([["name", "phone", "remove_pupils"], [parent, phone, child]])

    first = (await coordinator.sends_document(asked, "parents.csv", "text/csv"))[-1].text
    assert first.startswith("Nothing was saved yet: the file asks to remove these links (1).")
    assert f"• {parent} — {child} (8А) (the link; parents.csv, row 2)" in first
    assert child in await children_of(h, parent)

    again = (await coordinator.sends_document(asked, "parents.csv", "text/csv"))[-1].text
    assert "Removed, as the file asks (1):" in again
    assert child not in await children_of(h, parent)


# --- 20.10: a cell is cleaned as anything typed in the chat --------------------------------


async def test_invisible_and_direction_changing_characters_of_a_cell_are_dropped(h):
    await run(h, csv_files(EXAMPLES))
    later = [["name", "phone", "pupils"],
             ["Серік\u202e Жұмабеков\u200b\ufeff", "+7 705 300 00 17", "Дана\u2066 Серікова"]]
    result = await run(h, [("parents.csv", to_csv(later))])
    assert result.ok, result.problems
    assert "Дана Серікова" in await children_of(h, "Серік Жұмабеков")
    async with h.db() as session:
        names = list(await session.scalars(select(Person.full_name)))
    assert not [n for n in names if any(c in n for c in "\u202e\u200b\ufeff\u2066")]
