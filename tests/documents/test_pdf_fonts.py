"""PDFs print names in every script a customer has: DejaVu Sans is embedded for Latin,
Greek and Cyrillic; a font installed on the computer draws what DejaVu lacks (Japanese);
what no font here can draw is reported, never printed as a silent `?`. And the fonts are
parsed once per process, without changing a byte of any PDF."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools import ttLib
from fpdf import FPDF
from pypdf import PdfReader

from ordersheet.documents import fonts, model, pdf

from .samples import INVOICE, SETTINGS, SHIPMENT, sample_book

NAMES = {"ja": "東京商事株式会社", "pl": "Łódź Żółć Sp. z o.o.", "cs": "Dvořák a syn, s.r.o.",
         "el": "Ελληνικά Εμπορική Α.Ε.", "ru": "ООО «Москва»"}


def text_of(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
                    .split())


def kanji_font(path, chars: str) -> None:
    """A tiny TrueType font with a box glyph for each of `chars` (a stand-in for an
    installed CJK font, which this machine may not have)."""
    names = [".notdef"] + [f"uni{ord(c):04X}" for c in chars]
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0)), pen.lineTo((100, 700)), pen.lineTo((900, 700))
        pen.lineTo((900, 0)), pen.closePath()
        glyphs[name] = pen.glyph()
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({n: (1000, 100) for n in names})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Test Kanji", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))


@pytest.fixture
def installed_fonts(tmp_path, monkeypatch):
    """This computer's fonts, as the test says: none but those put in the folder."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    monkeypatch.setenv("ORDERSHEET_FONTS", str(folder))
    monkeypatch.setattr(fonts, "_fontconfig", lambda codepoint: [])
    monkeypatch.setattr(fonts, "_USUAL_PLACES", ())
    fonts.forget_system_fonts()
    yield folder
    fonts.forget_system_fonts()


def invoice_for(name: str):
    return model.document(sample_book(name=name), INVOICE)


def test_names_in_polish_czech_greek_and_russian_print_as_typed(installed_fonts):
    for lang in ("pl", "cs", "el", "ru"):
        doc = invoice_for(NAMES[lang])
        (rendered,) = pdf.render([doc])
        assert rendered.error == "" and rendered.missing == frozenset(), lang
        assert NAMES[lang] in text_of(rendered.data), lang


def test_japanese_is_drawn_in_an_installed_font(installed_fonts):
    kanji_font(installed_fonts / "kanji.ttf", NAMES["ja"])
    (rendered,) = pdf.render([invoice_for(NAMES["ja"])])
    assert rendered.missing == frozenset()
    assert NAMES["ja"] in text_of(rendered.data)
    fonts_used = {f["/BaseFont"] for p in PdfReader(io.BytesIO(rendered.data)).pages
                  for f in p["/Resources"]["/Font"].values()}
    assert any("TestKanji" in str(f) for f in fonts_used), fonts_used


def test_what_no_font_draws_is_reported_and_marked_never_a_silent_question_mark(
        installed_fonts):
    (rendered,) = pdf.render([invoice_for(f"{NAMES['ja']} / {NAMES['pl']}")])
    assert rendered.data is not None  # the PDF is made all the same
    assert rendered.missing == frozenset(NAMES["ja"])
    text = text_of(rendered.data)
    assert "\ufffd" * len(NAMES["ja"]) in text and NAMES["pl"] in text
    assert "?" not in text


def test_pages_with_every_script_render_to_an_image(installed_fonts, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; cannot render the PDF")
    kanji_font(installed_fonts / "kanji.ttf", NAMES["ja"])
    doc = invoice_for(" ".join(NAMES.values()))
    (rendered,) = pdf.render([doc])
    assert rendered.missing == frozenset()
    assert all(name in text_of(rendered.data) for name in NAMES.values())
    src = tmp_path / "invoice.pdf"
    src.write_bytes(rendered.data)
    done = subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1",
                           "-singlefile", str(src), str(tmp_path / "page")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "font" not in done.stderr.lower(), done.stderr
    assert (tmp_path / "page.png").read_bytes().startswith(b"\x89PNG")


# ---- fonts parsed once per process -----------------------------------------------------


def test_a_document_is_the_same_bytes_whatever_was_drawn_before_it(monkeypatch):
    doc = model.document(sample_book(), INVOICE)
    monkeypatch.setattr(fonts, "shipped", fonts.shipped.__wrapped__)  # fresh faces ...
    faces = fonts.shipped()
    monkeypatch.setattr(fonts, "shipped", lambda: faces)  # ... kept for this test
    alone = pdf.document_pdf(doc)
    fonts.plan(NAMES["pl"] + NAMES["cs"] + NAMES["el"] + NAMES["ru"] + "Việt Nam ẞ ₴")
    assert len(faces[""].covered) > len(fonts.BASE)  # the lean font grew ...
    assert pdf.document_pdf(doc) == alone  # ... and the document did not change


def test_a_copied_font_draws_the_same_pdf_as_one_parsed_for_the_document(tmp_path):
    """The per-process copy (`Face.attach`) against the plain way: fpdf2 parsing the same
    lean font for the document (`add_font`)."""
    doc = model.document(sample_book(name=NAMES["pl"]), SHIPMENT)
    plan = fonts.plan(pdf.characters(doc))
    files = {}
    for style, face in fonts.shipped().items():
        files[style] = tmp_path / f"lean{style}.ttf"
        files[style].write_bytes(face._data)

    def parsed(self, pdf_, family, style=""):
        pdf_.add_font(family, style, str(files[style]))
        font = pdf_.fonts[f"{family}{style}"]
        font.ttfont = ttLib.TTFont(files[style], recalcTimestamp=False, recalcBBoxes=False,
                                   lazy=True)

    copied = pdf.document_pdf(doc, plan)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fonts.Face, "attach", parsed)
        assert pdf.document_pdf(doc, plan) == copied


def test_each_document_gets_its_own_font_subset():
    first = model.document(sample_book(name="Alpha"), INVOICE)
    second = model.document(sample_book(name="Zyx Qjw"), INVOICE)
    a, b = (r.data for r in pdf.render([first, second]))
    assert "Zyx Qjw" in text_of(b) and "Zyx" not in text_of(a)
    assert pdf.document_pdf(first) == a  # drawing the second changed nothing of the first


def test_attach_adds_both_styles_and_fallbacks_to_a_pdf(installed_fonts):
    kanji_font(installed_fonts / "kanji.ttf", "東")
    plan = fonts.plan("A東")
    page = FPDF()
    plan.attach(page)
    assert set(page.fonts) == {"dejavu", "dejavuB", "fallback1"}
    assert plan.fallbacks[0].path.name == "kanji.ttf"


def test_the_font_files_and_their_licence_are_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = Path(fonts.__file__).parents[3]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["ordersheet"]
    package = root / "src" / "ordersheet"
    shipped = {p.relative_to(package).as_posix() for p in fonts.FONT_DIR.iterdir()}
    covered = {p.relative_to(package).as_posix() for pat in patterns for p in package.glob(pat)}
    assert {"documents/fonts/LICENSE", "documents/fonts/DejaVuSans.ttf",
            "documents/fonts/DejaVuSans-Bold.ttf"} <= shipped <= covered
    assert "Bitstream Vera" in (fonts.FONT_DIR / "LICENSE").read_text()


# ---- many documents in several processes -----------------------------------------------


def test_documents_drawn_in_several_processes_are_the_same_bytes_in_the_same_order(
        monkeypatch):
    docs = [model.document(sample_book(name=f"Customer {i} {NAMES['pl']}"), doc_id)
            for i in range(5) for doc_id in (INVOICE, SHIPMENT)]
    broken = model.InvoiceDocument("Invoice", "INV-BROKEN", docs[0].on, {}, ())
    docs.insert(3, broken)  # no fields at all: it fails, the others do not
    one_by_one = list(pdf.render(docs))
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 2)
    monkeypatch.setattr(pdf, "_CHUNK", 3)
    in_processes = list(pdf.render(docs, workers=2))
    assert [r.doc.doc_id for r in in_processes] == [d.doc_id for d in docs]
    assert [r.data for r in in_processes] == [r.data for r in one_by_one]
    assert in_processes[3].data is None and "KeyError" in in_processes[3].error
    assert all(r.data for i, r in enumerate(in_processes) if i != 3)
