"""The lexical claim checks of the output guard, one rule at a time, in kk, ru and en."""

from __future__ import annotations

import pytest

from bot.engine import claims


def _ok(sentence: str, source: str, lang: str, unit: str | None = None) -> bool:
    return claims.verify(sentence, source, unit or source, (), lang).ok


@pytest.mark.parametrize(
    ("lang", "source", "negated", "paraphrase"),
    [
        (
            "en",
            "Islam does not allow innocent blood to be shed.",
            "Islam allows innocent blood to be shed.",
            "Islam forbids shedding innocent blood.",
        ),
        (
            "ru",
            "Ты не обязан отвечать на сообщения незнакомцев.",
            "Ты обязан отвечать на сообщения незнакомцев.",
            "Отвечать на сообщения незнакомцев ты не обязан.",
        ),
        (
            "kk",
            "Заң адамды дінді қабылдауға мәжбүрлеуге тыйым салады.",
            "Заң адамды дінді қабылдауға мәжбүрлеуге тыйым салмайды.",
            "Заң бойынша адамды дінді қабылдауға мәжбүрлеуге тыйым салынады.",
        ),
    ],
)
def test_polarity(lang: str, source: str, negated: str, paraphrase: str) -> None:
    assert not _ok(negated, source, lang)
    assert _ok(paraphrase, source, lang)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "No: a religious ornament on its own is not a sign of extremism."),
        ("ru", "Нет: религиозный орнамент сам по себе не является признаком экстремизма."),
        ("kk", "Жоқ: діни ою-өрнектің өзі экстремизм белгісі емес."),
    ],
)
def test_an_answer_word_is_not_a_negation(lang: str, text: str) -> None:
    assert claims.polarity(text, lang) == 1


def test_kazakh_words_that_end_like_negative_verbs_are_not_negations() -> None:
    assert claims.polarity("Діни жазу немесе тарихи елтаңба", "kk") == 0
    assert claims.polarity("Олар хабарламағаны үшін сотталды", "kk") == 1


def test_negative_concord_counts_once() -> None:
    assert claims.polarity("Ни один признак в отдельности ничего не доказывает", "ru") == 1
    assert claims.polarity("Терроризмді ешбір дінмен байланыстыруға болмайды", "kk") == 1
    assert claims.polarity("Terrorism cannot and should not be associated with any religion", "en")


@pytest.mark.parametrize(
    ("lang", "source", "changed", "paraphrase"),
    [
        (
            "en",
            "On 28 November 2016 the court sentenced seven of them to life.",
            "On 28 November 2016 the court sentenced five of them to life.",
            "The court gave seven of them life sentences on 28 November 2016.",
        ),
        (
            "ru",
            "28 ноября 2016 года суд приговорил семерых из них к пожизненному заключению.",
            "28 ноября 2016 года суд приговорил пятерых из них к пожизненному заключению.",
            "Семерых из них суд 28 ноября 2016 года приговорил к пожизненному заключению.",
        ),
        (
            "kk",
            "2016 жылғы 28 қарашада сот олардың жетеуін өмір бойына бас бостандығынан айырды.",
            "2016 жылғы 28 қарашада сот олардың бесеуін өмір бойына бас бостандығынан айырды.",
            "Сот 2016 жылғы 28 қарашада олардың жетеуін өмір бойына бас бостандығынан айырды.",
        ),
    ],
)
def test_numbers_in_words_and_collectives(
    lang: str, source: str, changed: str, paraphrase: str
) -> None:
    assert not _ok(changed, source, lang)
    assert _ok(paraphrase, source, lang)


@pytest.mark.parametrize(
    ("lang", "aligned", "unit_rest", "swapped", "paraphrase"),
    [
        (
            "en",
            "Foreign Minister Yerlan Idrisov said that Adnani had sent a call over the internet.",
            "Interior Minister Kalmukhanbet Kasymov spoke about the attack.",
            "Foreign Minister Yerlan Idrisov said that al-Baghdadi had sent a call over the "
            "internet.",
            "According to Foreign Minister Yerlan Idrisov, Adnani had sent a call over the "
            "internet.",
        ),
        (
            "ru",
            "Имамов ДУМК готовят университет «Нур-Мубарак», Исламский институт и медресе.",
            "Многие учились в университете «Аль-Азхар» в Каире.",
            "Имамов ДУМК готовят университет «Аль-Азхар», Исламский институт и медресе.",
            "Университет «Нур-Мубарак», Исламский институт и медресе готовят имамов ДУМК.",
        ),
        (
            "kk",
            "ҚМДБ имамдарын «Нұр-Мүбәрак» университеті, Ислам институты және медреселер даярлайды.",
            "Кейбірі Қазақстандағы әл-Фараби атындағы университетте оқыған.",
            "ҚМДБ имамдарын «Нұр-Мүбәрак» университеті, әл-Фараби атындағы университет және "
            "медреселер даярлайды.",
            "«Нұр-Мүбәрак» университеті, Ислам институты және медреселер ҚМДБ имамдарын даярлайды.",
        ),
    ],
)
def test_names_must_be_in_the_aligned_sentence(
    lang: str, aligned: str, unit_rest: str, swapped: str, paraphrase: str
) -> None:
    unit = f"{aligned} {unit_rest}"
    assert not _ok(swapped, aligned, lang, unit)
    assert _ok(paraphrase, aligned, lang, unit)


def test_an_acronym_matches_the_words_it_stands_for() -> None:
    source = "Погиб следователь Комитета национальной безопасности Даниэль Майлыбаев."
    assert _ok("Погиб следователь КНБ Даниэль Майлыбаев.", source, "ru")
    assert not _ok("Погиб следователь МВД Даниэль Майлыбаев.", source, "ru")


@pytest.mark.parametrize(
    ("lang", "source", "opposite", "paraphrase"),
    [
        (
            "en",
            "Most of them can only recover with long-term support.",
            "Most of them can recover with short-term support.",
            "Most of them need long-term support to recover.",
        ),
        (
            "ru",
            "Джихадисты-салафиты, меньшинство, стремятся силой свергать правительства.",
            "Джихадисты-салафиты, самое многочисленное направление, стремятся силой свергать "
            "правительства.",
            "Меньшинство салафитов, джихадисты, стремятся свергать правительства силой.",
        ),
        (
            "kk",
            "Қазақстан — зайырлы мемлекет, дін мемлекеттен бөлінген.",
            "Қазақстан — діни мемлекет, дін мемлекеттен бөлінген.",
            "Қазақстан зайырлы мемлекет, онда дін мемлекеттен бөлінген.",
        ),
    ],
)
def test_antonyms_change_the_claim(lang: str, source: str, opposite: str, paraphrase: str) -> None:
    assert not _ok(opposite, source, lang)
    assert _ok(paraphrase, source, lang)


@pytest.mark.parametrize(
    ("lang", "source", "stronger", "paraphrase"),
    [
        (
            "en",
            "At work, prayer is usually possible during the break for rest and meals.",
            "At work, prayer is guaranteed during the break for rest and meals.",
            "Prayer at work is usually possible in the break for rest and meals.",
        ),
        (
            "ru",
            "Перед судом предстали 29 человек, семеро получили пожизненные сроки.",
            "Перед судом предстали 29 человек, и все получили пожизненные сроки.",
            "Из 29 человек, представших перед судом, семеро получили пожизненные сроки.",
        ),
        (
            "kk",
            "Медиа сауаттылық интернетте де, күнделікті өмірде де қажет.",
            "Медиа сауаттылық тек интернетте қажет.",
            "Медиа сауаттылық күнделікті өмірде де, интернетте де қажет.",
        ),
    ],
)
def test_claim_words_must_be_in_the_source(
    lang: str, source: str, stronger: str, paraphrase: str
) -> None:
    assert not _ok(stronger, source, lang)
    assert _ok(paraphrase, source, lang)


@pytest.mark.parametrize(
    ("lang", "sentence", "parts"),
    [
        ("en", "Takfir means declaring a Muslim an unbeliever, and most scholars accept it.", 2),
        ("ru", "Ты не обязан отвечать незнакомцам, но личные данные не сообщай никому.", 2),
        ("kk", "Тәкфір мұсылманды кәпір деп жариялау, ал ғұламалар оған сақтықпен қараған.", 2),
        ("en", "Physical, psychological, social and financial support.", 1),
    ],
)
def test_clauses_split_where_a_new_claim_starts(lang: str, sentence: str, parts: int) -> None:
    assert len(claims.clauses(sentence, lang)) == parts


@pytest.mark.parametrize(
    ("lang", "source", "added", "paraphrase"),
    [
        (
            "en",
            "A man in Petropavlovsk was fined for using the flag of a banned organisation "
            "as his profile picture.",
            "A man in Petropavlovsk was fined and then deported to his home village by "
            "helicopter together with relatives.",
            "A man in Petropavlovsk was fined because his profile picture used the flag of a "
            "banned organisation.",
        ),
        (
            "ru",
            "Чтобы молиться дома одному или с семьёй, регистрация не нужна.",
            "Чтобы молиться дома, нужно купить специальный коврик в магазине мечети.",
            "Для молитвы дома одному или с семьёй регистрация не нужна.",
        ),
        (
            "kk",
            "Құпия чаттар ұштан-ұшқа шифрлауды пайдаланады.",
            "Құпия чаттарды полиция күн сайын оқып, сақтап отырады.",
            "Құпия чаттар ұштан-ұшқа шифрланады.",
        ),
    ],
)
def test_new_facts_are_not_supported(lang: str, source: str, added: str, paraphrase: str) -> None:
    assert not _ok(added, source, lang)
    assert _ok(paraphrase, source, lang)


def test_an_example_line_is_a_quote_not_advice() -> None:
    examples = ("> «Decide right now, a real believer would not hesitate»",)
    said = "Decide right now: a real believer would not hesitate."
    quoted = 'Recruiters say "decide right now, a real believer would not hesitate".'
    assert claims.examples_echoed(said, examples)
    assert not claims.examples_echoed(quoted, examples)


@pytest.mark.parametrize(
    ("lang", "source", "flipped", "shorter"),
    [
        (
            "en",
            "Takfir means declaring that a person who calls himself a Muslim is an unbeliever "
            "and no longer a Muslim.",
            "Takfir means declaring that a person who calls himself a Muslim is no unbeliever.",
            "Takfir is declaring someone who calls himself a Muslim an unbeliever.",
        ),
        (
            "ru",
            "Дискриминация по признаку религии запрещена, и никто не подвергается дискриминации "
            "из-за религии.",
            "Новая Конституция не запрещает дискриминацию по признаку религии.",
            "Дискриминация по признаку религии запрещена.",
        ),
        (
            "kk",
            "Мұңды оқиға — жанашырлық танытуға себеп, біреуді жек көруге немесе топқа кіруге "
            "себеп емес.",
            "Мұңды оқиға — топқа кіруге себеп.",
            "Мұңды оқиға — жанашырлық танытуға себеп.",
        ),
    ],
)
def test_a_negation_counts_only_where_its_word_is_retold(
    lang: str, source: str, flipped: str, shorter: str
) -> None:
    """A negated detail left out is a shorter claim; the same word un-negated is a flip."""
    assert not _ok(flipped, source, lang)
    assert _ok(shorter, source, lang)


@pytest.mark.parametrize(
    ("lang", "source", "flipped", "kept"),
    [
        (
            "en",
            "Calling 111 is free, and pupils can also write to it, whether or not they call.",
            "Calling 111 is not free.",
            "Pupils can write to 111 whether or not they call.",
        ),
        (
            "ru",
            "Для местного объединения нужно не менее 50 граждан.",
            "Для местного объединения не нужно 50 граждан.",
            "Для местного объединения нужно минимум 50 граждан.",
        ),
        (
            "kk",
            "Оны кекесінмен болса да бөліспе және басқаларға жіберме.",
            "Оны кекесінмен бөлісуге болады.",
            "Оны кекесінмен болса да бөліспе.",
        ),
    ],
)
def test_bounds_choices_and_negative_imperatives(
    lang: str, source: str, flipped: str, kept: str
) -> None:
    """'Whether or not' and 'не менее' negate nothing; 'бөліспе' does."""
    assert not _ok(flipped, source, lang)
    assert _ok(kept, source, lang)


@pytest.mark.parametrize(
    ("lang", "unit", "swapped", "kept"),
    [
        (
            "en",
            "Propaganda of terrorism is punished under Article 256 of the Criminal Code, "
            "and inciting discord under Article 174.",
            "Propaganda of terrorism is punished under Article 174, and inciting discord "
            "under Article 256.",
            "Inciting discord is punished under Article 174 of the Criminal Code.",
        ),
        (
            "ru",
            "Пропаганда терроризма наказывается по статье 256 Уголовного кодекса, а возбуждение "
            "розни — по статье 174.",
            "Пропаганда терроризма наказывается по статье 174 Уголовного кодекса, а возбуждение "
            "розни — по статье 256.",
            "Возбуждение розни наказывается по статье 174 Уголовного кодекса.",
        ),
        (
            "kk",
            "Қылмыстық кодекстің 256-бабы терроризмді насихаттауды, ал 174-бабы діни араздықты "
            "қоздыруды қылмыс деп таниды.",
            "Қылмыстық кодекстің 174-бабы терроризмді насихаттауды, ал 256-бабы діни араздықты "
            "қоздыруды қылмыс деп таниды.",
            "Діни араздықты қоздыру Қылмыстық кодекстің 174-бабы бойынша қылмыс.",
        ),
    ],
)
def test_each_article_is_bound_to_its_own_clause(
    lang: str, unit: str, swapped: str, kept: str
) -> None:
    assert not all(_ok(clause, unit, lang) for clause in claims.clauses(swapped, lang))
    assert _ok(kept, unit, lang)


@pytest.mark.parametrize(
    ("lang", "source", "changed", "kept"),
    [
        (
            "en",
            "The name comes from an 18th-century scholar.",
            "The name comes from a 16th-century scholar.",
            "The name comes from a scholar of the 18th century.",
        ),
        (
            "ru",
            "Название происходит от имени учёного XVIII века.",
            "Название происходит от имени учёного XVI века.",
            "Название связано с именем учёного XVIII века.",
        ),
        (
            "kk",
            "Атауы XVIII ғасырда өмір сүрген ғалымның есімінен шыққан.",
            "Атауы XVI ғасырда өмір сүрген ғалымның есімінен шыққан.",
            "Атауы XVIII ғасырдағы ғалымның есімінен шыққан.",
        ),
    ],
)
def test_roman_numerals_are_numbers(lang: str, source: str, changed: str, kept: str) -> None:
    assert not _ok(changed, source, lang)
    assert _ok(kept, source, lang)


@pytest.mark.parametrize(
    ("lang", "heading", "source", "sentence", "wrong"),
    [
        (
            "en",
            "How many people died on 9/11?",
            "2,977 people were killed, not counting the 19 hijackers.",
            "Not counting the 19 hijackers, 2,977 people were killed on 9/11.",
            "Not counting the 19 hijackers, 2,977 people were killed on 7/7.",
        ),
        (
            "ru",
            "Сколько людей погибло 11 сентября?",
            "Погибли 2977 человек, не считая 19 террористов.",
            "Не считая 19 террористов, 11 сентября погибли 2977 человек.",
            "Не считая 19 террористов, 12 сентября погибли 2977 человек.",
        ),
        (
            "kk",
            "11 қыркүйекте қанша адам қаза тапты?",
            "19 террористі есептемегенде, 2977 адам қаза тапты.",
            "19 террористі есептемегенде, 11 қыркүйекте 2977 адам қаза тапты.",
            "19 террористі есептемегенде, 12 қыркүйекте 2977 адам қаза тапты.",
        ),
    ],
)
def test_the_event_a_unit_is_about_may_be_named(
    lang: str, heading: str, source: str, sentence: str, wrong: str
) -> None:
    """'9/11' is a name, and the date in the unit's heading is no new number."""
    assert claims.verify(sentence, source, source, (), lang, heading=heading).ok
    assert not claims.verify(wrong, source, source, (), lang, heading=heading).ok


@pytest.mark.parametrize(
    ("lang", "source", "short", "other"),
    [
        (
            "ru",
            "Группа напала на воинскую часть Национальной гвардии.",
            "Группа напала на воинскую часть Нацгвардии.",
            "Группа напала на воинскую часть Росгвардии.",
        ),
        (
            "kk",
            "Топ Ұлттық гвардияның әскери бөлімшесіне шабуыл жасады.",
            "Топ Ұлтгвардияның әскери бөлімшесіне шабуыл жасады.",
            "Топ Росгвардияның әскери бөлімшесіне шабуыл жасады.",
        ),
        (
            "en",
            "The case was handled by the National Security Committee.",
            "The case was handled by the NSC.",
            "The case was handled by the FSB.",
        ),
    ],
)
def test_abbreviated_names_are_the_names_they_shorten(
    lang: str, source: str, short: str, other: str
) -> None:
    assert _ok(short, source, lang)
    assert not _ok(other, source, lang)


@pytest.mark.parametrize(
    ("lang", "source", "changed", "kept"),
    [
        (
            "en",
            "Researchers describe jihadi-Salafis, who call for armed struggle, as a minority.",
            "Most Salafis call for armed struggle.",
            "Jihadi-Salafis, who call for armed struggle, are a minority.",
        ),
        (
            "ru",
            "Исследователи описывают джихадистов-салафитов, призывающих к вооружённой борьбе, "
            "как меньшинство.",
            "Большинство салафитов призывают к вооружённой борьбе.",
            "Джихадисты-салафиты, призывающие к вооружённой борьбе, — меньшинство.",
        ),
        (
            "kk",
            "Зерттеушілер қарулы күреске шақыратын жиһадшыл сәләфилерді азшылық деп сипаттайды.",
            "Сәләфилердің көбі қарулы күреске шақырады.",
            "Қарулы күреске шақыратын жиһадшыл сәләфилер азшылық деп сипатталады.",
        ),
    ],
)
def test_most_is_a_claim_word(lang: str, source: str, changed: str, kept: str) -> None:
    assert not _ok(changed, source, lang)
    assert _ok(kept, source, lang)


def test_kazakh_emes_with_a_person_ending_negates() -> None:
    source = "Бейтаныс адамдардың хабарламаларына жауап беруге міндетті емессің."
    assert not _ok("Бейтаныс адамдардың хабарламаларына жауап беруге міндеттісің.", source, "kk")
    assert _ok("Бейтаныс адамдардың хабарламаларына жауап беруге міндетті емессің.", source, "kk")
