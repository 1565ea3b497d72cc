"""What an import file may hold: the kinds of sheet, their columns and the names they go by.

A sheet (or CSV file) is recognised by its name — the English key or its Kazakh or Russian
name, e.g. ``pupils``, ``оқушылар``, ``ученики``; ``02_pupils.csv`` works too — or, failing
that, by its header row. Column headers likewise: the English key (as in the README and the
example files) or a Kazakh or Russian name; case, spaces and a note in brackets do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from locales import _


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Entity:
    key: str
    label: str  # msgid, the plural noun shown in reports
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def required(self) -> list[str]:
        return [c.key for c in self.columns if c.required]

    def column(self, header: str) -> str | None:
        """The column key a header names, or None."""
        wanted = header_key(header)
        for column in self.columns:
            if wanted == column.key or wanted in (header_key(a) for a in column.aliases):
                return column.key
        return None


def header_key(header: str) -> str:
    """"Phone (+7…)*" → "phone"; "Agreement start" → "agreement_start"."""
    value = re.sub(r"\(.*?\)|\*", "", header).strip().casefold()
    return re.sub(r"[\s\-]+", "_", value)


C = Column
NAME = C("name", ("full_name", "аты-жөні", "аты_жөні", "атауы", "аты", "фио", "название", "имя"),
         True)
PHONE = C("phone", ("телефон", "тел"))
LOCALE = C("locale", ("language", "тіл", "язык"))
POSITION = C("position", ("лауазымы", "должность"))

ENTITIES: tuple[Entity, ...] = (
    Entity("school", _("school"), ("school", "мектеп", "школа"), (
        NAME,
        C("district", ("аудан", "район")),
        C("rural", ("ауыл", "ауылдық", "сельская")),
        LOCALE,
        C("timezone", ("уақыт_белдеуі", "часовой_пояс")),
    )),
    Entity("staff", _("staff"), ("staff", "teachers", "қызметкерлер", "мұғалімдер",
                                 "сотрудники", "педагоги"), (
        NAME,
        C("role", ("рөлі", "рөл", "роль"), True),
        C("phone", PHONE.aliases, True),
        POSITION,
        LOCALE,
    )),
    Entity("partners", _("partners"), ("partners", "серіктестер", "әріптестер", "партнеры"), (
        NAME,
        C("bin", ("бсн", "бин")),
        C("address", ("мекенжайы", "мекен-жайы", "адрес")),
        C("contact_name", ("байланыс_тұлға", "контактное_лицо")),
        C("contact_phone", ("байланыс_телефоны", "контактный_телефон")),
        C("sector", ("сала", "отрасль")),
        C("agreement_start", ("келісім_басталуы", "начало_договора")),
        C("agreement_end", ("келісім_аяқталуы", "конец_договора")),
    )),
    Entity("sites", _("sites"), ("sites", "алаңдар", "площадки"), (
        C("partner", ("серіктес", "әріптес", "партнер"), True),
        NAME,
        C("address", ("мекенжайы", "мекен-жайы", "адрес"), True),
        C("place", ("цех", "орны", "место")),
        C("photo_policy", ("фото", "фото_видео")),
        C("rules", ("ережелер", "правила")),
        C("evacuation", ("эвакуация",)),
    )),
    Entity("classes", _("classes"), ("classes", "сыныптар", "классы"), (
        NAME,
        C("grade", ("параллель", "сынып_деңгейі"), True),
        C("teacher", ("сынып_жетекшісі", "классный_руководитель")),
    )),
    Entity("pupils", _("pupils"), ("pupils", "students", "оқушылар", "ученики"), (
        NAME,
        C("class", ("сынып", "класс"), True),
        C("grade", ("параллель",)),
        LOCALE,
        C("special_needs", ("sen", "ерекше_қажеттіліктер", "ооп")),
    )),
    Entity("parents", _("parents"), ("parents", "ата-аналар", "ата_аналар", "родители"), (
        NAME,
        C("phone", PHONE.aliases, True),
        LOCALE,
        C("pupils", ("children", "балалары", "оқушылар", "дети"), True),
    )),
    Entity("mentors", _("mentors"), ("mentors", "тәлімгерлер", "наставники"), (
        NAME,
        C("partner", ("серіктес", "әріптес", "партнер"), True),
        POSITION,
        C("phone", PHONE.aliases, True),
        LOCALE,
    )),
    Entity("trials", _("trials"), ("trials", "сынақтар", "пробы"), (
        # Synaq's number of a trial (the journal's first column): with it a row may change
        # the trial's title and date too; without it, a trial is its title and date.
        C("number", ("no", "no.", "trial_no.", "trial_no", "№", "сынақ_№", "проба_№",
                     "нөмірі", "номер")),
        C("title", ("атауы", "название"), True),
        C("date", ("күні", "дата"), True),
        C("start", ("басталуы", "начало"), True),
        C("end", ("аяқталуы", "конец"), True),
        C("end_date", ("аяқталу_күні", "дата_окончания")),
        C("class", ("сынып", "класс")),
        C("pupils", ("оқушылар", "ученики")),
        C("partner", ("серіктес", "әріптес", "партнер"), True),
        C("site", ("алаң", "площадка"), True),
        C("mentor", ("тәлімгер", "наставник")),
        C("coordinator", ("үйлестіруші", "координатор")),
        C("escort", ("алып_жүруші", "сопровождающий")),
        C("pupil_goal", ("оқушыға_арналған_мақсат", "цель_для_ученика")),
        C("school_goal", ("мектептің_мақсаты", "цель_школы")),
        C("labour_function", ("еңбек_функциясы", "трудовая_функция")),
        C("mini_task_1", ("1-қадам", "шаг_1")),
        C("mini_task_2", ("2-қадам", "шаг_2")),
        C("mini_task_3", ("3-қадам", "шаг_3")),
        C("subjects", ("пәндер", "предметы")),
        C("equipment", ("жабдық", "оборудование")),
        C("ppe", ("жққ", "сиз")),
        C("risks", ("тәуекелдер", "риски")),
        C("timing", ("тайминг",)),
        C("expected_artefact", ("артефакт",)),
        C("safety_briefing", ("еқб", "инструктаж")),
        C("photo_policy", ("фото", "фото_видео")),
        C("special_conditions", ("ерекше_шарттар", "особые_условия")),
        C("evacuation", ("эвакуация",)),
        C("profession", ("мамандық", "профессия")),
        C("sector", ("сала", "отрасль")),
        C("category", ("санаты", "категория")),
        C("grade_band", ("сыныптар_тобы", "группа_классов")),
        C("length_kind", ("түрі", "тип")),
        C("purpose", ("мақсаты", "назначение")),
        C("format", ("форматы", "формат")),
        C("sen_open", ("ерекше_қажеттіліктерге_ашық", "открыта_для_ооп")),
        C("gather_place", ("жиналу_орны", "место_сбора")),
        C("gather_time", ("жиналу_уақыты", "время_сбора")),
        C("bring", ("алып_келу", "взять_с_собой")),
        C("teacher_evaluation", ("мұғалімнің_бағасы", "оценка_учителя")),
    )),
)

BY_KEY = {e.key: e for e in ENTITIES}
# The order rows are written in: whatever a row refers to is written before it.
WRITE_ORDER = ("school", "staff", "partners", "sites", "classes", "pupils", "parents",
               "mentors", "trials")


def entity_named(name: str) -> Entity | None:
    """The entity a file or sheet name speaks of: "pupils", "02_Pupils-8A", "Оқушылар"."""
    words = [w for w in re.split(r"[\s_\-.0-9]+", name.casefold()) if w]
    joined = header_key(name)
    for entity in ENTITIES:
        for alias in (entity.key, *entity.aliases):
            if alias in words or header_key(alias) == joined:
                return entity
    # Singular spellings: "pupil", "partner", "trial".
    for entity in ENTITIES:
        if entity.key.endswith("s") and entity.key[:-1] in words:
            return entity
    return None


def entity_by_header(headers: list[str]) -> Entity | None:
    """The one entity whose required columns the header has, the closest fit first."""
    fits = []
    for entity in ENTITIES:
        keys = {entity.column(h) for h in headers} - {None}
        if set(entity.required) <= keys:
            fits.append((len(keys) - len(entity.columns), len(keys), entity))
    fits.sort(key=lambda f: (f[0], f[1]), reverse=True)
    if not fits or (len(fits) > 1 and fits[0][:2] == fits[1][:2]):
        return None
    return fits[0][2]

# Closed vocabularies: every accepted spelling → the stored value.
PHOTO_POLICY = {
    "publication": "publication", "public": "publication", "жариялауға_рұқсат": "publication",
    "публикация": "publication", "portfolio": "portfolio", "тек_портфолио": "portfolio",
    "портфолио": "portfolio", "prohibited": "prohibited", "тыйым": "prohibited",
    "тыйым_салынған": "prohibited", "запрещено": "prohibited",
}
ROLES = {
    "coordinator": "coordinator", "үйлестіруші": "coordinator", "координатор": "coordinator",
    "teacher": "teacher", "class_teacher": "teacher", "мұғалім": "teacher",
    "сынып_жетекшісі": "teacher", "учитель": "teacher", "классный_руководитель": "teacher",
}
CATEGORY = {"traditional": "traditional", "дәстүрлі": "traditional",
            "традиционная": "traditional", "new": "new", "жаңа": "new", "новая": "new",
            "promising": "promising", "келешегі_бар": "promising",
            "перспективная": "promising"}
GRADE_BAND = {"5-7": "5-7", "8-9": "8-9", "10-11": "10-11"}
LENGTH_KIND = {"mini": "mini", "мини": "mini", "intro": "intro", "таныстыру": "intro",
               "ознакомительная": "intro", "deep": "deep", "тереңдетілген": "deep",
               "углубленная": "deep"}
PURPOSE = {"intro": "intro", "introduction": "intro", "таныстыру": "intro",
           "differentiate": "differentiate", "саралау": "differentiate",
           "дифференциация": "differentiate", "refine": "refine", "нақтылау": "refine",
           "уточнение": "refine"}
FORMAT = {"in_person": "in_person", "in person": "in_person", "offline": "in_person",
          "күндізгі": "in_person", "очно": "in_person", "очный": "in_person",
          "online": "online", "онлайн": "online", "hybrid": "hybrid", "аралас": "hybrid",
          "гибрид": "hybrid", "гибридный": "hybrid"}
