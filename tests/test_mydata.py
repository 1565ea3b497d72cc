"""/mydata: a person (and a parent for each child) gets everything Synaq holds about them as a
file — masked addresses, no other family's data, no texts of messages; the read is audited
and the message carrying the file is not kept once sent."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from storage.models import AuditLog, Outbox, Person

from .demo_school import PARENTS, PUPILS, jpeg

SAULE, MARAT, _KAIRAT = PARENTS
ARUZHAN, DIAS, _MADINA = PUPILS
NOTE = "Астма: ингалятор в левом кармане"


def document(messages) -> dict:
    [doc] = [m for m in messages if m.method == "senddocument"]
    assert doc.file_name == "synaq-my-data.json"
    return json.loads(doc.file_bytes)


async def test_a_parent_gets_their_own_and_their_childs_data_and_nothing_of_others(h, demo):
    saule = await demo.consent(SAULE, tier="Portfolio only", note=NOTE)
    await demo.consent(MARAT, tier="Publication allowed", note="Диастың аллергиясы")
    await demo.held(tier=None, photo=jpeg())
    phone = "+77015550101"
    async with h.db() as s:
        person = await s.get(Person, demo.id(SAULE))
        assert person is not None
        person.phone = phone

    reply = await saule.says("/mydata")
    data = document(reply)
    you, child = data["people"]
    assert (you["about"], child["about"]) == ("you", "your child")
    assert you["profile"]["name"] == SAULE and you["profile"]["phone"] == "+*********01"
    assert phone not in json.dumps(data)
    [channel] = you["channels"]
    assert channel["channel"] == "telegram" and channel["address"].endswith(str(saule.id)[-2:])
    assert str(saule.id) not in json.dumps(data)  # the chat id itself is never written out
    assert [c["name"] for c in you["children"]] == [ARUZHAN]
    assert [g["name"] for g in child["parents"]] == [SAULE]
    # The consent: who, what, the note, the text version, the channel.
    [given] = [c for c in you["consents"] if c["decided_by"] == "you"]
    assert (given["participation"], given["photo_tier"], given["medical_note"],
            given["channel"], given["text_version"]) == ("agree", "portfolio", NOTE,
                                                         "telegram", 1)
    # The child's own questionnaires with the answers, the mentor's card about them, the
    # file kept (described), the messages about the child to the parent (no texts).
    flows = {q["flow"]: q for q in child["questionnaires"]}
    assert flows["pupil.after"]["by"] == "you"
    assert flows["pupil.after"]["answers"]["did"]["text"] == "I wired a circuit from a diagram"
    assert flows["mentor.rubric"]["by"] == "mentor"
    assert flows["mentor.rubric"]["answers"]["plus"]["text"] == "Reads the diagram well"
    [photo] = child["files"]
    assert (photo["kind"], photo["photo_tier"], photo["type"]) == ("photo", "portfolio",
                                                                   "image/jpeg")
    purposes = {(m["to"], m["purpose"]) for m in child["messages"]}
    assert ("your parent", "consent.request") in purposes
    assert all("text" not in m for m in child["messages"])
    assert [t["trial"] for t in child["trials"]] == [(await demo.trial()).title]
    # Nothing of the other family: Марат, Диас, their note.
    text = json.dumps(data, ensure_ascii=False)
    for other in (MARAT, DIAS, "Диастың аллергиясы"):
        assert other not in text

    async with h.db() as s:
        audit = await s.scalar(select(AuditLog).where(AuditLog.action == "read.mydata"))
        assert audit.actor_id == demo.id(SAULE)
        assert audit.detail["people"] == [demo.id(SAULE), demo.id(ARUZHAN)]
        # The file went out and its message is not kept.
        kept = await s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.purpose == "privacy.mydata"))
    assert kept == 0


async def test_the_pupil_gets_their_file_and_a_mentor_not_the_pupils_ratings(h, demo):
    _parent, aruzhan, mentor = await demo.held(photo=None)
    # From the menu: the entry at its end, the page, the file.
    await aruzhan.says("/menu")
    assert aruzhan.last.labels[-1] == "🔐 My data"
    await aruzhan.taps("My data")
    assert "Your data in Synaq" in aruzhan.last.text
    reply = await aruzhan.taps("Get my data as a file")
    [own] = document(reply)["people"]
    assert own["profile"]["name"] == ARUZHAN and own["children"] == []
    assert "People in the file: 1." in reply[0].text
    # The mentor's file lists the card about the pupil, without what it says about her.
    [theirs] = document(await mentor.says("/mydata"))["people"]
    [card] = [q for q in theirs["questionnaires"] if q["flow"] == "mentor.rubric"]
    assert card["by"] == "you" and card["answers"] == "about another person: not included"
    assert "Reads the diagram well" not in json.dumps(theirs, ensure_ascii=False)


async def test_a_stranger_cannot_ask_for_anyones_data(h, demo):
    stranger = h.user("Бейтаныс", lang="en")
    for text in ("/mydata", "/forgetme"):
        reply = await stranger.says(text)
        assert "Hello! Synaq helps schools" in reply[0].text
        assert all(m.method == "sendmessage" for m in reply)
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(AuditLog)) == 0
