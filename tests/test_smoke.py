async def test_pupil_joins_and_answers_before_questionnaire(h, demo):
    aruzhan = await demo.join("Аружан Серікқызы", lang="en")
    assert "Before the trial" in aruzhan.last.labels[0]
    await aruzhan.taps("Before the trial")
    assert "What do I expect?" in aruzhan.last.text
    await aruzhan.says("To see how electricians work")
    await aruzhan.says("Electric shock")
    await aruzhan.taps("Skip")
    assert "Thank you" in aruzhan.last.text
