"""``synaq demo``: a small school to try Synaq with. Loading it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repos.people import People
from storage.repos.schools import Schools
from storage.repos.trials import Trials

SCHOOL = "№ 7 мектеп-гимназиясы (демо)"
TIMEZONE = "Asia/Almaty"

PUPILS = [
    # pupil, parent, parent's language
    ("Аружан Серікқызы", "Сәуле Серікова", "kk"),
    ("Диас Маратұлы", "Марат Әбенов", "ru"),
    ("Мадина Қайратқызы", "Қайрат Омаров", "kk"),
]


@dataclass
class Demo:
    school_id: int
    trial_id: int
    created: bool


async def load_demo(session: AsyncSession, now: datetime) -> Demo:
    schools, people, trials = Schools(session), People(session), Trials(session)
    existing = await schools.by_name(SCHOOL)
    if existing is not None:
        trial = await trials.by_title(existing.id, TRIAL_TITLE)
        return Demo(existing.id, trial.id if trial else 0, created=False)

    school = await schools.add(name=SCHOOL, timezone=TIMEZONE, district="Астана қ.",
                               default_locale="kk")
    coordinator = await people.add("Гүлнар Сейтқали", ["coordinator"], school_id=school.id,
                                   position="Кәсіби бағдар беру педагогі", phone="+77010000001")
    teacher = await people.add("Айгүл Нұрланова", ["teacher"], school_id=school.id,
                               position="8А сынып жетекшісі", phone="+77010000002")
    school_class = await schools.add_class(school.id, "8А", 8)
    await schools.set_class_teacher(school_class.id, teacher.id)
    partner = await schools.add_partner(
        school_id=school.id, name="«Qazaq Energy Service» ЖШС", bin="180540012345",
        address="Астана қ., Тұран даңғылы, 12", contact_name="Ерлан Жақсыбеков",
        contact_phone="+77010000003", sector="Энергетика",
        agreement_start=now.date().replace(month=1, day=1),
        agreement_end=now.date().replace(month=12, day=31))
    site = await schools.add_site(
        partner_id=partner.id, name="Электр шеберханасы", address="Астана қ., Тұран даңғылы, 12",
        place="2-цех, оқу алаңы", photo_policy="portfolio",
        rules="Телефонды тек үзілісте қолдануға болады; жеке куәлік қажет.",
        evacuation="Шығу — басты есік; жиналу орны — автотұрақ; 112.")
    mentor = await people.add("Ерлан Жақсыбеков", ["mentor"], school_id=school.id,
                              partner_id=partner.id, position="Электромонтер, бригадир",
                              phone="+77010000003")

    zone = ZoneInfo(TIMEZONE)
    tomorrow = (now.astimezone(zone) + timedelta(days=1)).date()
    starts = datetime.combine(tomorrow, time(10, 0), zone)
    trial = await trials.add(
        school_id=school.id, title=TRIAL_TITLE, class_id=school_class.id,
        starts_at=starts, ends_at=starts + timedelta(hours=2), site_id=site.id,
        coordinator_id=coordinator.id, mentor_id=mentor.id, escort_id=teacher.id,
        profession="Электромонтер", sector="Энергетика", category="traditional",
        grade_band="8-9", length_kind="intro", purpose="intro", format="in_person",
        pupil_goal=("Бүгін мен электромонтер мамандығында тізбекті қауіпсіз құрастыру қалай "
                    "орындалатынын түсіну үшін шамды қосатын тізбекті жинап көремін."),
        school_goal="Оқушылар физика сабағындағы тізбек заңдарын нақты жұмыста көреді.",
        labour_function="Чек-парақ бойынша қарапайым тізбекті жинау және тексеру",
        mini_task=["Сызба бойынша бөлшектерді таңдау", "Тізбекті жинау",
                   "Чек-парақ бойынша тексеріп, шамды қосу"],
        subjects=["Физика", "Технология және өнер"],
        equipment="12 В қуат көзі, шамдар, сымдар, ажыратқыштар — серіктес береді",
        ppe="Диэлектрлік қолғап (серіктес береді), жабық аяқ киім",
        risks="Электр тогы — тек 12 В қуат көзі; өткір сым ұштары — қолғап.",
        timing="Кіріспе 10 мин; көрсету 15 мин; оқушы әрекеті 60 мин; кері байланыс 20 мин; "
               "рефлексия 15 мин",
        expected_artefact="Жиналған тізбектің фотосы және толтырылған чек-парақ",
        safety_briefing="Мектепте: сынақ алдындағы күні; алаңда: тәлімгер, басында 10 мин",
        photo_policy="portfolio", gather_place="Мектеп фойесі",
        gather_at=starts - timedelta(minutes=30),
        bring="Дәптер мен қалам; ұзын шашты жинап келу",
    )
    for pupil_name, parent_name, parent_locale in PUPILS:
        pupil = await people.add(pupil_name, ["pupil"], school_id=school.id,
                                 class_id=school_class.id)
        parent = await people.add(parent_name, ["parent"], school_id=school.id,
                                  locale=parent_locale)
        await people.link_guardian(parent.id, pupil.id)
        await trials.add_participant(trial.id, pupil.id, now)
    return Demo(school.id, trial.id, created=True)


TRIAL_TITLE = "Электромонтер: қарапайым электр тізбегін жинау"
