from crm.core.text import digits, fold, search_tokens


def test_fold_ignores_case_accents_and_spacing() -> None:
    assert fold("  José   ÁLVAREZ ") == fold("jose alvarez") == "jose alvarez"


def test_fold_keeps_cyrillic_and_lowercases_it() -> None:
    assert fold("Иван Петров") == "иван петров"


def test_fold_unifies_arabic_letter_variants_in_urdu() -> None:
    # Arabic keyboard yeh/kaf versus Urdu keyboard letters
    assert fold("علي") == fold("علی")
    assert fold("كراچی") == fold("کراچی")


def test_search_tokens_cover_name_company_email_and_phone() -> None:
    tokens = search_tokens("José Álvarez", "Álvarez Hermanos", "Jose.Alvarez@Example.es", "+34612345678")
    assert {"jose", "alvarez", "hermanos", "jose.alvarez@example.es", "34612345678"} <= tokens
    assert digits("+34 612-345 678") == "34612345678"


def test_similar_names_ignore_order_and_small_typos_but_not_different_numbers() -> None:
    from crm.core.text import similar_names

    assert similar_names("siti rahayu", "rahayu siti")
    assert similar_names("budi hartono", "budi hartano")
    assert not similar_names("person 123", "person 1234")
