from crm.core.text import digits, fold, folded_words, words


def test_fold_ignores_case_accents_and_spacing() -> None:
    assert fold("  José   ÁLVAREZ ") == fold("jose alvarez") == "jose alvarez"


def test_fold_keeps_cyrillic_and_lowercases_it() -> None:
    assert fold("Иван Петров") == "иван петров"


def test_fold_unifies_arabic_letter_variants_in_urdu() -> None:
    # Arabic keyboard yeh/kaf versus Urdu keyboard letters
    assert fold("علي") == fold("علی")
    assert fold("كراچی") == fold("کراچی")


def test_words_of_folded_text_are_the_words_of_the_original() -> None:
    for sample in ["José Álvarez-Ruiz", "jose.alvarez", "Иван  Петров", "عمران خان", "a_b 12c"]:
        assert folded_words(fold(sample)) == words(sample)
    assert words("jose.alvarez_2") == ["jose", "alvarez", "2"]
    assert folded_words(None) == []
    assert digits("+34 612-345 678") == "34612345678"


def test_similar_names_ignore_order_and_small_typos_but_not_different_numbers() -> None:
    from crm.core.text import similar_names

    assert similar_names("siti rahayu", "rahayu siti")
    assert similar_names("budi hartono", "budi hartano")
    assert not similar_names("person 123", "person 1234")
