"""The Language selector, and laying the page out for the chosen language (right to left for Urdu)."""
from __future__ import annotations

import streamlit as st

from crm.core.access import Actor
from crm.core.database import session_scope
from crm.core.errors import CRMError
from crm.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, _, get_language, is_rtl, normalize_language, set_language
from crm.accounts.users import save_my_language
from ui import rtl

STATE = "crm_language"  # the language of this browser session (survives sign-in and logout)
FONT = "app/static/fonts/noto-nastaliq-urdu-arabic-{weight}-normal.woff2"
ARABIC_RANGE = "U+0600-06FF, U+0750-077F, U+0870-08FF, U+FB50-FDFF, U+FE70-FEFF, U+200C-200F"


def _browser_language() -> str:
    try:
        return normalize_language(st.context.locale)
    except Exception:  # older Streamlit or no browser (AppTest): fall back to English
        return DEFAULT_LANGUAGE


def apply_language() -> str:
    """Use this session's language for messages and formats in this run."""
    if STATE not in st.session_state:
        st.session_state[STATE] = _browser_language()
    return set_language(st.session_state[STATE])


def lay_out_for_language() -> None:
    """The fonts, and right to left for Urdu: once per run, after sign-in may have changed the language.
    Also tells the browser (and screen readers) the page's language and direction on <html>, which
    Streamlit leaves at lang="en" whatever the page says."""
    language = get_language()
    css = _rtl_css() if is_rtl(language) else _FONT_FACES
    st.html(css + _CAPTIONS_CSS)
    st.html(_document_language(language) + (rtl.SCRIPT if is_rtl(language) else ""), unsafe_allow_javascript=True)


def _document_language(language: str) -> str:
    """A script that sets lang and dir on <html> (the code is one of LANGUAGES: nothing to escape)."""
    direction = "rtl" if is_rtl(language) else "ltr"
    return (f"<span class='crm-document-language'></span><script>document.documentElement.lang = '{language}';"
            f" document.documentElement.dir = '{direction}';</script>")


# Streamlit draws captions (st.caption: counts, hints, the sidebar's department and role) in its text colour
# at 60% opacity, too faint to read for many (contrast 3.8:1 on white; WCAG asks 4.5:1). The same colour at
# 80% keeps them quieter than body text and readable (about 7:1), in a light or a dark theme alike.
_CAPTIONS_CSS = ("<style>div[data-testid='stCaptionContainer'] {color: inherit !important; opacity: 0.8;}"
                 # the element that holds the script takes no room on the page
                 ".stElementContainer:has(.crm-document-language) {display: none;}"
                 # a form's empty heading (the sign-in form's: the page gives it its heading at the right level)
                 "[data-testid='stForm'] .stElementContainer:has(h3 > [data-heading-text]:empty) {display: none;}"
                 "</style>")


def adopt_saved_language(actor: Actor) -> None:
    """At sign-in: keep a language picked on the sign-in screen (and save it), else use the saved one."""
    if st.session_state.pop("crm_language_picked", False):
        _save(actor, st.session_state[STATE])
    elif actor.language in LANGUAGES and actor.language != st.session_state.get(STATE):
        st.session_state[STATE] = actor.language
        set_language(actor.language)


def _label() -> str:
    label = _("Language")
    return label if label == "Language" else f"{label} · Language"


def _picked(widget_key: str, actor: Actor | None) -> None:
    chosen = st.session_state.get(widget_key)
    if chosen not in LANGUAGES or chosen == st.session_state.get(STATE):
        return
    if actor is None and st.session_state.get("authentication_status"):
        return  # a late event from the sign-in screen's selector, after the sign-in: not a choice
    st.session_state[STATE] = chosen
    if actor is None:
        st.session_state["crm_language_picked"] = True
    else:
        set_language(chosen)
        _save(actor, chosen)


def _save(actor: Actor, language: str) -> None:
    try:
        with session_scope() as session:
            save_my_language(actor, language, session=session)
    except CRMError as exc:
        st.toast(exc.message)


def language_selector(actor: Actor | None = None) -> None:
    """The "Language" drop-down: on the sign-in screen (actor None) or in the sidebar (saved to the account).

    Its key carries the language in use, so that a language adopted at sign-in shows in a fresh
    drop-down (its state is never written by the script, which would make Streamlit report changes
    the person did not make)."""
    current = st.session_state.get(STATE, DEFAULT_LANGUAGE)
    key = f"language_{'signin' if actor is None else 'sidebar'}_{current}"
    codes = list(LANGUAGES)
    st.selectbox(_label(), codes, index=codes.index(current), format_func=LANGUAGES.__getitem__, key=key,
                 on_change=_picked, args=(key, actor))


def _font_faces() -> str:
    """Urdu/Arabic letters for every text on the page, in any language (customer names in Urdu appear
    in English screens too): the Nastaliq faces are added to Streamlit's own "Source Sans" family for
    the Arabic-script code points only, so the browser uses them wherever Source Sans has no glyph,
    including the canvas of data tables. Also available by name for the Urdu layout."""
    faces = []
    for family in ("Source Sans", "Noto Nastaliq Urdu"):
        for weight, span in ((400, "100 599"), (700, "600 900")):
            faces.append(f"@font-face {{font-family: '{family}'; font-style: normal; font-display: swap; "
                         f"font-weight: {span}; src: url('{FONT.format(weight=weight)}') format('woff2'); "
                         f"unicode-range: {ARABIC_RANGE};}}")
    return "".join(faces)


_FONT_FACES = "<style>" + _font_faces() + "</style>"


def _rtl_css() -> str:
    """The Urdu layout: right to left (ui.rtl), in Nastaliq."""
    urdu = "'Noto Nastaliq Urdu', 'Source Sans', sans-serif"
    return (
        "<style>" + _font_faces() + rtl.STYLESHEET +
        f"[data-testid='stMain'] :is(p, li, label, h1, h2, h3, h4, h5, h6, input, textarea, button, td, th,"
        f" [data-testid='stMarkdownContainer'], [data-testid='stMetricValue'], [data-testid='stMetricLabel']),"
        f" [data-testid='stSidebar'] :is(p, label, button, span):not([data-testid='stIconMaterial'])"
        f" {{font-family: {urdu}; line-height: 2;}}"
        "</style>"
    )
