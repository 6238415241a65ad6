"""Language codes, scripts and the ``auto`` guess."""

from __future__ import annotations

import pytest

from facemimic.errors import ParameterError, UnknownNameError
from facemimic.phonetics.languages import check_script, guess_language, is_english, resolve_language


@pytest.mark.parametrize("name, code", [("de", "de"), ("DE", "de"), ("de_DE", "de"), ("German", "de"),
                                        ("deu", "de"), ("fr", "fr-fr"), ("french", "fr-fr"),
                                        ("es-MX", "es"), ("Spanish", "es"), ("pt-BR", "pt-br"),
                                        ("zh", "cmn"), ("ja", "ja"), ("it", "it")])
def test_resolve(name, code):
    assert resolve_language(name).code == code


def test_unknown_language_suggests():
    with pytest.raises(UnknownNameError, match=r"unknown language 'spnish' \(did you mean Spanish"):
        resolve_language("spnish")
    with pytest.raises(UnknownNameError, match="did you mean"):
        resolve_language("itt")


@pytest.mark.parametrize("text, code", [
    ("Bitte gib mir das Brot und die Butter.", "de"), ("Je voudrais un peu de pain, s'il vous plaît.", "fr-fr"),
    ("¿Me pasas el pan, por favor?", "es"), ("Mio padre beve un caffè ogni mattina.", "it"),
    ("The bread is on the table.", "en-us"), ("Привет, как дела?", "ru"), ("こんにちは、げんきですか", "ja"),
    ("Καλημέρα σας", "el"),
])
def test_guess_language(text, code):
    assert guess_language(text) == code


def test_script_mismatch_is_refused():
    check_script("Guten Morgen", resolve_language("de"))  # fine
    check_script("こんにちは 東京", resolve_language("ja"))
    with pytest.raises(ParameterError, match=r"dialog.txt is written in Cyrillic letters, but German \(de\) is "
                                             r"written in Latin; use --language ru"):
        check_script("Привет мир", resolve_language("de"), source="dialog.txt")
    with pytest.raises(ParameterError, match="written in Latin letters, but Japanese"):
        check_script("Guten Morgen", resolve_language("ja"))


def test_is_english():
    assert is_english("en") and is_english("en-us+f3") and is_english("en-gb-x-rp")
    assert not is_english("de") and not is_english("en-shaw")
