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
    or_column: str | None = None  # a column that, present, makes this one not required


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
        wanted = set(kazakh_bases(header_key(header)))
        for column in self.columns:
            if column.key in wanted or wanted & {header_key(a) for a in column.aliases}:
                return column.key
        return None


def header_key(header: str) -> str:
    """"Phone (+7…)*" → "phone"; "Agreement start" → "agreement_start"."""
    value = re.sub(r"\(.*?\)|\*", "", header).strip().casefold().replace("ё", "е")
    return re.sub(r"[\s\-]+", "_", value)


# A Kazakh header is usually the possessive form of the noun: "тілі" (its language),
# "сыныбы" (its class), "телефоны", "саласы". The base form is what the aliases hold; the
# last consonant may have voiced before the ending (сынып → сыныбы, тілек → тілегі).
_VOICED = {"б": "п", "г": "к", "ғ": "қ"}


def kazakh_bases(key: str) -> list[str]:
    """``key`` and the base forms its last word may be the possessive of."""
    found = [key]
    for ending in ("сы", "сі", "ы", "і"):
        if key.endswith(ending) and len(key) > len(ending) + 2:
            base = key[: -len(ending)]
            found.append(base)
            if base[-1] in _VOICED:
                found.append(base[:-1] + _VOICED[base[-1]])
    return found


C = Column
# Every column: its English key (README, example files), then Kazakh and Russian names as a
# school writes them, then other spellings. tests/test_import_people.py holds the headers of
# every sheet in each language.
NAME = C("name", ("full_name", "аты-жөні", "аты_жөні", "толық_аты", "атауы", "аты", "фио",
                  "ф.и.о.", "полное_имя", "название", "наименование", "имя"), True)
PHONE = C("phone", ("телефон", "тел", "тел.", "телефон_нөмірі", "номер_телефона", "phone_number",
                    "mobile", "ұялы_телефон", "мобильный", "мобильный_телефон"))
LOCALE = C("locale", ("language", "lang", "тіл", "оқыту_тілі", "сөйлеу_тілі", "хабарлама_тілі",
                      "язык", "язык_обучения", "язык_общения"))
POSITION = C("position", ("лауазым", "лауазымы", "қызметі", "должность"))
PARTNER = C("partner", ("серіктес", "әріптес", "серіктес_ұйым", "ұйым", "партнер",
                        "организация"), True)
ADDRESS = C("address", ("мекенжай", "мекенжайы", "мекен-жайы", "адрес"))
EVACUATION = C("evacuation", ("эвакуация", "эвакуациялау", "байланыстар_және_эвакуация",
                              "контакты_и_эвакуация"))
PHOTO = C("photo_policy", ("photo", "фото", "фото_видео", "фото_ережесі", "фото_түсіру",
                           "фотосъемка", "правило_фото"))
SECTOR = C("sector", ("сала", "экономика_саласы", "отрасль", "сфера"))
GRADE = C("grade", ("параллель", "сынып_деңгейі", "сынып_нөмірі", "класс_параллель",
                    "номер_класса"))

ENTITIES: tuple[Entity, ...] = (
    Entity("school", _("school"), ("school", "мектеп", "школа"), (
        NAME,
        C("district", ("аудан", "район")),
        C("rural", ("ауыл", "ауылдық", "ауылдық_мектеп", "сельская", "сельская_школа",
                    "село")),
        LOCALE,
        C("timezone", ("time_zone", "уақыт_белдеуі", "часовой_пояс")),
    )),
    Entity("staff", _("staff"), ("staff", "teachers", "қызметкерлер", "мұғалімдер",
                                 "сотрудники", "педагоги"), (
        NAME,
        C("role", ("рөл", "рөлі", "роль"), True),
        C("phone", PHONE.aliases, True),
        POSITION,
        LOCALE,
    )),
    Entity("partners", _("partners"), ("partners", "серіктестер", "әріптестер", "партнеры"), (
        NAME,
        C("bin", ("бсн", "бин")),
        ADDRESS,
        C("contact_name", ("contact", "байланыс_тұлға", "байланыстағы_тұлға", "контакт",
                           "контактное_лицо")),
        C("contact_phone", ("байланыс_телефон", "контактный_телефон")),
        SECTOR,
        C("agreement_start", ("келісім_басталуы", "келісімнің_басталуы", "шарт_басталуы",
                              "начало_договора", "договор_с")),
        C("agreement_end", ("келісім_аяқталуы", "келісімнің_аяқталуы", "шарт_аяқталуы",
                            "конец_договора", "окончание_договора", "договор_по")),
    )),
    Entity("sites", _("sites"), ("sites", "алаңдар", "площадки"), (
        PARTNER,
        NAME,
        C("address", ADDRESS.aliases, True),
        C("place", ("цех", "орны", "орын", "бөлме", "место", "помещение")),
        PHOTO,
        C("rules", ("ережелер", "ереже", "правила")),
        EVACUATION,
    )),
    Entity("classes", _("classes"), ("classes", "сыныптар", "классы"), (
        NAME,
        C("grade", GRADE.aliases, True),
        C("teacher", ("class_teacher", "сынып_жетекшісі", "сынып_жетекші",
                      "классный_руководитель")),
        LOCALE,
    )),
    Entity("pupils", _("pupils"), ("pupils", "students", "оқушылар", "ученики"), (
        NAME,
        C("class", ("сынып", "класс"), True),
        GRADE,
        LOCALE,
        C("special_needs", ("sen", "ерекше_қажеттіліктер", "ерекше_білім_беру_қажеттіліктері",
                            "ебқ", "ооп", "особые_образовательные_потребности")),
    )),
    Entity("parents", _("parents"), ("parents", "ата-аналар", "ата_аналар", "родители"), (
        NAME,
        C("phone", PHONE.aliases, True),
        LOCALE,
        C("pupils", ("children", "балалар", "балалары", "оқушылар", "оқушы", "дети",
                     "ученики", "ребенок"), True, or_column="remove_pupils"),
        # Explicit: the links to take off (an import never removes what it does not mention).
        C("remove_pupils", ("unlink", "ажырату", "ажыратылатын_балалар", "балаларды_ажырату",
                            "отвязать", "отвязать_детей")),
    )),
    Entity("mentors", _("mentors"), ("mentors", "тәлімгерлер", "наставники"), (
        NAME,
        PARTNER,
        POSITION,
        C("phone", PHONE.aliases, True),
        LOCALE,
    )),
    Entity("trials", _("trials"), ("trials", "сынақтар", "пробы"), (
        # Synaq's number of a trial (the journal's first column): with it a row may change
        # the trial's title and date too; without it, a trial is its title and date.
        C("number", ("no", "no.", "trial_no.", "trial_no", "№", "сынақ_№", "проба_№",
                     "нөмір", "нөмірі", "номер")),
        C("title", ("атау", "атауы", "сынақ_атауы", "название", "название_пробы"), True),
        C("date", ("күн", "күні", "өтетін_күні", "дата", "дата_проведения"), True),
        C("start", ("басталуы", "басталу_уақыты", "начало", "время_начала"), True),
        C("end", ("аяқталуы", "аяқталу_уақыты", "конец", "окончание", "время_окончания"), True),
        C("end_date", ("аяқталу_күні", "дата_окончания")),
        C("class", ("сынып", "класс")),
        C("pupils", ("оқушылар", "ученики")),
        PARTNER,
        C("site", ("алаң", "площадка"), True),
        C("mentor", ("тәлімгер", "наставник")),
        C("coordinator", ("үйлестіруші", "координатор")),
        C("escort", ("алып_жүруші", "сүйемелдеуші", "сопровождающий")),
        C("pupil_goal", ("оқушыға_арналған_мақсат", "оқушының_мақсаты", "цель_для_ученика")),
        C("school_goal", ("мектептің_мақсаты", "цель_школы")),
        C("labour_function", ("еңбек_функциясы", "трудовая_функция")),
        C("mini_task_1", ("1-қадам", "1_қадам", "шаг_1", "шаг_1_мини-задания")),
        C("mini_task_2", ("2-қадам", "2_қадам", "шаг_2", "шаг_2_мини-задания")),
        C("mini_task_3", ("3-қадам", "3_қадам", "шаг_3", "шаг_3_мини-задания")),
        C("subjects", ("пәндер", "байланысты_пәндер", "предметы", "связанные_предметы")),
        C("equipment", ("жабдық", "жабдықтар", "оборудование")),
        C("ppe", ("жққ", "жеке_қорғаныс_құралдары", "сиз", "средства_защиты")),
        C("risks", ("тәуекел", "тәуекелдер", "риски")),
        C("timing", ("тайминг", "уақыт_жоспары", "хронометраж")),
        C("expected_artefact", ("artefact", "артефакт", "күтілетін_артефакт",
                                "ожидаемый_артефакт")),
        C("safety_briefing", ("еқб", "қауіпсіздік_нұсқамасы", "инструктаж",
                              "инструктаж_по_безопасности")),
        PHOTO,
        C("special_conditions", ("ерекше_шарттар", "особые_условия")),
        EVACUATION,
        C("profession", ("мамандық", "профессия")),
        SECTOR,
        C("category", ("санат", "санаты", "категория")),
        C("grade_band", ("сыныптар_тобы", "группа_классов")),
        C("length_kind", ("түрі", "сынақ_түрі", "тип", "вид_пробы")),
        C("purpose", ("мақсаты", "мақсат_түрі", "назначение")),
        C("format", ("форматы", "формат")),
        C("sen_open", ("ерекше_қажеттіліктерге_ашық", "ебқ_үшін_ашық", "открыта_для_ооп")),
        C("gather_place", ("жиналу_орны", "место_сбора")),
        C("gather_time", ("жиналу_уақыты", "время_сбора")),
        C("bring", ("алып_келу", "бірге_алу", "взять_с_собой")),
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
