from bot.engine.overlap import content_stems


def test_content_stems_skip_question_words_and_fold_endings() -> None:
    assert content_stems("What does it mean that Kazakhstan is a secular state?") == {
        "kazak",
        "secul",
        "state",
    }
    assert content_stems("Зайырлы мемлекет деген не?") == {"зайыр", "мемле"}
    assert content_stems("зайырлылық") & content_stems("зайырлы мемлекет")
