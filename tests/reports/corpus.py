"""The anonymisation checker's test corpus, built at test time: a register and documents with identifiers planted.

Four pseudonymised reports (DOCX, PDF, ODT and TXT) of realistic prose, in which the real
identifiers of the register are planted in many forms, recorded with their kind and the exact
text the checker should report. Markup in the source text: ``[[kind|text]]`` plants an
identifier; ``[[-|text]]`` is a near-miss that must not be found; ``[[fp|text]]`` is a word the
checker is expected to flag although it identifies nobody (recall comes first, so a surname
that is also a word is flagged). In the DOCX, ``¦`` splits a paragraph into runs, as Word does
when formatting changes in the middle of a word.

Also the bad inputs: a password-protected PDF, one that opens with the empty password, a scanned
PDF (an image, no text), random bytes, a truncated DOCX, a macro-enabled DOCX (docm) and an
XLSX. Everything is fictional: Ofcom's drama phone numbers, Exampletown postcodes.
"""

import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import cast
from xml.sax.saxutils import escape

import docx
import docx.document
from docx.oxml import parse_xml
from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter

from dhr_tracker.reports.anonymisation import Identity

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

REGISTER = (
    Identity(
        "Adult A",
        names=("Mary Jane Smith", "Molly", "Mary Jones (former)"),
        birth_dates=(date(1985, 3, 3),),
        addresses=("Flat 2, 14 Acacia Avenue, Exampletown EX1 1AA",),
        others=("07700 900123", "AB12 CDE"),
    ),
    Identity(
        "Adult B",
        names=("Darren Paul O'Neill", "Daz"),
        birth_dates=(date(1980, 11, 21),),
        addresses=("7 Larch Close, Exampletown EX2 4BB",),
        others=("01632 960123", "Acme Scaffolding Ltd"),
    ),
    Identity(
        "Child C",
        names=("Liam Smith",),
        birth_dates=(date(2012, 7, 14),),
        others=("Exampletown Primary School",),
    ),
    Identity("Friend 1", names=("Rebecca Hall", "Becky")),
)

# Pseudonymised prose with no identifier in it, as most of a real report is.
FILLER = (
    "The review panel met six times between June 2021 and March 2022. It was chaired by an "
    "independent chair who has no connection with any agency involved, and its members were "
    "senior managers from Exampletown Police, the Integrated Care Board, Children's Social Care, "
    "Adult Social Care, the local authority housing service and the specialist domestic abuse service.",
    "Adult A had been registered with the same GP practice since 2009. The GP saw her eleven times "
    "in the period under review, on four occasions for anxiety and low mood. No routine enquiry "
    "about domestic abuse was recorded, although the practice's own policy expects one.",
    "On 12 March 2019 the police were called to a disturbance at the family home. Officers completed "
    "a risk assessment, which was graded as standard risk. The panel found that the questions were "
    "asked in front of Adult B, which is contrary to guidance, and that the grading was therefore unreliable.",
    "The specialist domestic abuse service received a referral in May 2020 but could not make contact. "
    "Three calls were made over two weeks and a letter was sent. The case was then closed, in line "
    "with the service's policy at the time, which the service has since changed.",
    "Child C attended a local primary school, whose designated safeguarding lead recorded two "
    "concerns about lateness and appearance. Neither was shared with Children's Social Care. "
    "The school's records show that staff were unsure of the threshold for making a referral.",
    "Adult B was known to the probation service for an earlier offence of criminal damage. "
    "The probation officer was not aware of the relationship with Adult A, and so no enquiry was "
    "made with the police about call-outs to the address.",
    "The panel wishes to thank the family of Adult A, who met the chair twice and shared their "
    "memories of her. Their description of her as generous, funny and devoted to Child C is "
    "reflected throughout this report.",
    "The terms of reference asked the panel to consider whether agencies shared information in a "
    "timely way, whether risk was properly assessed and whether professionals exercised "
    "professional curiosity. Each question is answered in the analysis section that follows.",
)

_MARK = re.compile(r"\[\[([\w-]+)\|(.*?)\]\]", re.DOTALL)


@dataclass(frozen=True)
class Planted:
    file_type: str
    location: str
    kind: str
    text: str


@dataclass
class Corpus:
    documents: dict[str, bytes] = field(default_factory=dict)
    planted: list[Planted] = field(default_factory=list)
    near_misses: list[Planted] = field(default_factory=list)
    expected_false_positives: list[Planted] = field(default_factory=list)

    def record(self, file_type: str, location: str, marked: str) -> str:
        """Record the marks of ``marked`` at ``location`` and return its plain text."""
        for kind, text in _MARK.findall(marked):
            text = text.replace("¦", "")
            item = Planted(file_type, location, kind, text)
            if kind == "-":
                self.near_misses.append(item)
            elif kind == "fp":
                self.expected_false_positives.append(item)
            else:
                self.planted.append(item)
        return _MARK.sub(lambda m: m.group(2), marked).replace("¦", "")


# The documents, as blocks: ("p", text), ("table", rows), ("header", text), ("footnote", text),
# ("textbox", text), ("deleted", text), ("page", "") and ("title", text) or ("author", text).

DOCX_BLOCKS: list[tuple[str, object]] = [
    ("title", "Overview report into the death of [[name|Mary Smith]]"),
    ("header", "DHR Exampletown 2021/03. Official sensitive. Police reference CRN [[police_reference|12/34567/21]]"),
    ("p", "1 Introduction"),
    ("p", "1.1 This report examines the death of Adult A, [[name|Mary Jane Smith]], in March 2021."),
    ("p", FILLER[0]),
    (
        "p",
        "1.2 Adult A (known to friends as [[name|Molly]]) lived with Child C at [[address|14 Acacia Avenue]], "
        "Exampletown [[postcode|EX1 1AA]].",
    ),
    ("p", "1.3 [[name|Ma¦ry Smi¦th's]] GP records give her date of birth as [[birth_date|03/03/1985]]."),
    ("p", FILLER[1]),
    (
        "p",
        "1.4 Before her marriage she was [[name|Mary Jones]]; the hospital still used the name "
        "[[initials|Mrs M. J. Smith]] in 2020.",
    ),
    (
        "p",
        "1.5 Adult B, [[name|Darren O\u2019Neill]], was born on [[birth_date|21 November 1980]]. "
        "His friends called him [[name|Daz]].",
    ),
    ("p", "1.6 The probation letter was addressed to [[initials|D. O'Neill]] at [[address|7 Larch Close]]."),
    ("p", FILLER[2]),
    (
        "p",
        "2 Key events. Adult A's mobile number, [[phone|07700 900123]], was on the police log. "
        "Her NHS number [[nhs_number|943 476 5919]] appears in the discharge summary, and her National "
        "Insurance number [[ni_number|AB 12 34 56 C]] on the benefits claim.",
    ),
    (
        "p",
        "2.1 The police recorded the assault under crime reference [[police_reference|4512345/23]]. "
        "[[name|O'Neill's]] employer, [[other|Acme Scaffolding]], was not contacted.",
    ),
    (
        "p",
        "2.2 The meeting took place in the [[-|hallway]] of the family centre near [[-|Smithfield Market]]; "
        "the chair [[-|shall]] write to the agencies. [[-|Adult A's]] sister was there. A test result, "
        "[[-|943 476 5918]], was filed on [[-|3 March 2019]].",
    ),
    ("p", "2.3 Child C's friend's mother, [[name|Becky]], ran the club in the sports [[fp|hall]]."),
    ("deleted", "[[name|Rebecca Hall]]"),
    ("p", FILLER[3]),
    (
        "table",
        [
            ["Date", "Agency", "Event"],
            ["12/03/2019", "Police", "Call-out to [[name|SMITH]] household"],
            ["04/05/2020", "GP", "Consultation with [[name|Mary]] about low mood"],
            ["[[birth_date|3rd of March 1985]]", "Registrar", "Birth of Adult A"],
        ],
    ),
    ("footnote", "The son of Adult A is [[name|Liam Smith]], born [[birth_date|14 July 2012]]."),
    ("textbox", "Quote from [[name|Becky]]: she was a wonderful mother."),
    ("p", FILLER[4]),
    ("p", FILLER[5]),
]

PDF_PAGES: list[list[str]] = [
    [
        "Executive summary",
        "This summary concerns the death of Adult A ([[name|MARY SMITH]]) and the agencies' contact "
        "with her and with Adult B ([[name|Darren Paul O'Neill]]).",
        FILLER[0],
        "Adult A's son, [[name|Liam]], was eight years old at the time. Her date of birth was "
        "[[birth_date|3/3/85]]; his was [[birth_date|14.07.2012]].",
        FILLER[1],
    ],
    [
        "Summary of events",
        "In 2019 a neighbour at [[address|14, Acacia Ave]] ([[postcode|ex11aa]]) reported shouting. "
        "The police log, incident [[police_reference|1234 of 12/03/2019]], names [[initials|M Smith]].",
        FILLER[2],
        "A second record gives [[initials|Smith, M.]] and a date of birth of [[birth_date|1985-03-03]], "
        "written elsewhere as [[birth_date|March 3, 1985]].",
        "Adult B's landline [[phone|+44 (0)1632 960001]] and the hostel's number [[phone|(01632) 960002]] were "
        "recorded. His NHS number [[nhs_number|4010232137]] and National Insurance number "
        "[[ni_number|JM123456D]] appear in the housing file, as does [[address|7 Larch Close]].",
    ],
    [
        "Analysis",
        FILLER[3],
        "The car, registration [[other|ab12cde]], was seen near [[-|Marylebone]] station by Officer "
        "[[-|Williams]]. The case was heard at [[-|the 2019 Family Court]] hearing.",
        FILLER[4],
        "The panel heard from [[name|Becky]], a friend who lives near St [[fp|Mary's]] Church.",
    ],
]
PDF_AUTHOR = "[[name|Rebecca Hall]]"

ODT_BLOCKS: list[tuple[str, object]] = [
    ("title", "Review into the death of [[name|Mary Smith]]"),
    ("header", "Draft for the panel: [[name|Darren]] and Adult A"),
    ("p", "Overview report"),
    ("p", "Adult A, [[name|Mary  Jane  Smith]], and [[name|Mary-Smith]] as the hospital spelt it."),
    ("p", FILLER[0]),
    (
        "p",
        "Professionals described [[name|smith]] as withdrawn; the letter was to [[initials|M.J. Smith]] "
        "and spoke of the [[name|Smiths\u2019]] debts.",
    ),
    (
        "p",
        "Her date of birth appears as [[birth_date|3 Mar 1985]], [[birth_date|3-Mar-85]] and "
        "[[birth_date|03031985]] in different records.",
    ),
    ("p", FILLER[5]),
    (
        "p",
        "She moved from [[address|Acacia Avenue]] to a refuge; Adult B later lived at "
        "[[address|22 Oak Tree Close]], Exampletown [[postcode|EX2 4BB]].",
    ),
    (
        "p",
        "Calls came from [[phone|07700900456]]. His NHS number was [[nhs_number|9876543210]] and his "
        "National Insurance number [[ni_number|AB 123456 C]]; the CPS file is URN [[police_reference|43HX1234519]].",
    ),
    ("p", "Child C attended [[other|Exampletown Primary School]]. [[-|Adult A's]] mother cared for him."),
    (
        "table",
        [
            ["Name", "Relationship"],
            ["[[name|Rebecca Hall]]", "Friend of Adult A"],
            ["[[name|Darren]]", "Partner"],
        ],
    ),
    ("footnote", "Adult B's date of birth, [[birth_date|21.11.1980]], is taken from the police record."),
    ("p", FILLER[6]),
]

TXT_PARAGRAPHS: list[str] = [
    "Domestic Homicide Review: executive summary (text version)",
    FILLER[0],
    "The victim, [[name|Mary\nSmith]], was 36. [[name|Mary Jane Smith's]] family asked that she be called "
    "Adult A. Records also use [[initials|M Smith]].",
    "Adult B, [[name|Darren O'Neill]], date of birth: [[birth_date|21/11/80]] (also given as [[birth_date|1980-11-21]]), "
    "lived at [[address|7, Larch Close]], [[postcode|ex2 4bb]].",
    FILLER[1],
    "Adult A's birthday, [[birth_date|March 3rd 1985]], fell during the period under review.",
    "Phone numbers on file: [[phone|07700 900 789]] and [[phone|+447700900321]]; Adult B's work phone "
    "[[phone|01632 960123]].",
    "NHS number [[nhs_number|450-557-7104]]; NI [[ni_number|JM 12 34 56 A]].",
    "Police log [[police_reference|4512 of 01/02/2020]] and CAD [[police_reference|1234-56]] both record the call.",
    "Adult B worked for [[other|acme-scaffolding ltd]]. The incident on 5 November 2020 was not recorded.",
    "[[name|becky]] said that [[name|Hall]] is her married name. The panel [[-|shall]] not name the "
    "[[-|Hallmark]] shop where she works.",
    FILLER[2],
    FILLER[7],
    "DOB of Child C: [[birth_date|14/07/2012]].",
]


def build() -> Corpus:
    corpus = Corpus()
    corpus.documents["overview.docx"] = _docx(corpus)
    corpus.documents["summary.pdf"] = _pdf(corpus)
    corpus.documents["overview.odt"] = _odt(corpus)
    corpus.documents["summary.txt"] = _txt(corpus)
    return corpus


# DOCX

_WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_V = "urn:schemas-microsoft-com:vml"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _runs_xml(text: str) -> str:
    return "".join(f'<w:r><w:t xml:space="preserve">{escape(t)}</w:t></w:r>' for t in text.split("¦"))


def _docx(corpus: Corpus) -> bytes:
    document = docx.Document()
    paragraphs = 0
    tables = 0
    footnotes: list[str] = []
    for kind, value in DOCX_BLOCKS:
        if kind == "title":
            document.core_properties.title = corpus.record("docx", "Document properties", str(value))
            document.core_properties.author = "Independent chair"
        elif kind == "header":
            document.sections[0].header.paragraphs[0].text = corpus.record("docx", "Header", str(value))
        elif kind == "p":
            paragraphs += 1
            corpus.record("docx", f"Paragraph {paragraphs}", str(value))
            paragraph = document.add_paragraph()
            for text in _MARK.sub(lambda m: m.group(2), str(value)).split("¦"):
                paragraph.add_run(text)
        elif kind == "deleted":
            paragraphs += 1
            text = corpus.record("docx", f"Paragraph {paragraphs}", str(value))
            paragraph = document.add_paragraph("Tracked change: the name ")
            paragraph._p.append(
                parse_xml(
                    f'<w:del xmlns:w="{_W}" w:id="1" w:author="Chair"><w:r><w:delText>{escape(text)}'
                    "</w:delText></w:r></w:del>"
                )
            )
            paragraph.add_run("was replaced by Friend 1.")
        elif kind == "table":
            tables += 1
            rows = cast(list[list[str]], value)
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for number, row in enumerate(rows, start=1):
                for cell, text in zip(table.rows[number - 1].cells, row, strict=True):
                    cell.text = corpus.record("docx", f"Table {tables}, row {number}", text)
        elif kind == "footnote":
            footnotes.append(corpus.record("docx", "Footnotes", str(value)))
        elif kind == "textbox":
            # Text boxes come after the paragraph holding them, numbered in order.
            paragraphs += 1
            text = corpus.record("docx", "Text box 1", str(value))
            holder = document.add_paragraph(f"Paragraph holding a text box, number {paragraphs}.")
            content = f"<w:txbxContent><w:p>{_runs_xml(text)}</w:p></w:txbxContent>"
            holder._p.append(
                parse_xml(
                    f'<w:r xmlns:w="{_W}" xmlns:mc="{_MC}" xmlns:wps="{_WPS}" xmlns:v="{_V}"><mc:AlternateContent>'
                    f'<mc:Choice Requires="wps"><w:drawing><wps:txbx>{content}</wps:txbx></w:drawing></mc:Choice>'
                    f"<mc:Fallback><w:pict><v:textbox>{content}</v:textbox></w:pict></mc:Fallback>"
                    "</mc:AlternateContent></w:r>"
                )
            )
    out = io.BytesIO()
    document.save(out)
    return _with_footnotes(out.getvalue(), footnotes)


def _with_footnotes(package: bytes, footnotes: list[str]) -> bytes:
    """Add a footnotes part, which python-docx cannot write."""
    notes = "".join(
        f'<w:footnote w:id="{n}"><w:p><w:r><w:t xml:space="preserve">{escape(t)}</w:t></w:r></w:p></w:footnote>'
        for n, t in enumerate(footnotes, start=1)
    )
    part = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{_W}">{notes}</w:footnotes>'
    return _rezip(package, {"word/footnotes.xml": part.encode()})


def _rezip(package: bytes, extra: dict[str, bytes], transform: Callable[[str, bytes], bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, transform(info.filename, data) if transform else data)
        for name, data in extra.items():
            target.writestr(name, data)
    return out.getvalue()


# PDF


def _pdf(corpus: Corpus) -> bytes:
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    pdf.set_author(corpus.record("pdf", "Document properties", PDF_AUTHOR))
    pdf.set_title("Executive summary")
    for number, page in enumerate(PDF_PAGES, start=1):
        pdf.add_page()
        for marked in page:
            pdf.multi_cell(0, 6, corpus.record("pdf", f"Page {number}", marked))
            pdf.ln(3)
        assert pdf.page_no() == number, "a planted page overflowed; shorten it"
    return bytes(pdf.output())


def protected_pdf(password: str) -> bytes:
    """A copy of a one-page text PDF, encrypted with ``password`` to open it (may be empty)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_plain_pdf("Adult A, Mary Smith, lived in Exampletown."))))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _plain_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def scanned_pdf(text_before: str = "") -> bytes:
    """Two pages of image, as a scanner makes; after a page of ``text_before`` when given."""
    image = Image.new("L", (400, 560), color=255)
    for y in range(40, 520, 24):
        image.paste(0, (40, y, 360, y + 8))
    pdf = FPDF()
    if text_before:
        pdf.add_font("DejaVu", fname=FONT)
        pdf.set_font("DejaVu", size=11)
        pdf.add_page()
        pdf.multi_cell(0, 6, text_before)
    for _ in range(2):
        pdf.add_page()
        pdf.image(image, x=10, y=10, w=190)
    return bytes(pdf.output())


# ODT

_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"'
)


def _odf_text(text: str) -> str:
    """ODF markup for ``text``: runs of spaces as text:s, line breaks as text:line-break."""
    marked = escape(text).replace("\n", "<text:line-break/>")
    return re.sub(r"  +", lambda m: f' <text:s text:c="{len(m.group()) - 1}"/>', marked)


def _odt(corpus: Corpus) -> bytes:
    body: list[str] = []
    paragraphs = 0
    tables = 0
    title = header = ""
    footnote = ""
    for kind, value in ODT_BLOCKS:
        if kind == "title":
            title = corpus.record("odt", "Document properties", str(value))
        elif kind == "header":
            header = corpus.record("odt", "Header", str(value))
        elif kind == "p":
            paragraphs += 1
            text = corpus.record("odt", f"Paragraph {paragraphs}", str(value))
            tag = "text:h" if paragraphs == 1 else "text:p"
            body.append(f'<{tag}><text:span text:style-name="T1">{_odf_text(text)}</text:span></{tag}>')
        elif kind == "table":
            tables += 1
            rows = []
            for number, row in enumerate(cast(list[list[str]], value), start=1):
                cells = "".join(
                    f"<table:table-cell><text:p>{_odf_text(corpus.record('odt', f'Table {tables}, row {number}', c))}"
                    "</text:p></table:table-cell>"
                    for c in row
                )
                rows.append(f"<table:table-row>{cells}</table:table-row>")
            body.append(f'<table:table table:name="Table{tables}">{"".join(rows)}</table:table>')
        elif kind == "footnote":
            footnote = corpus.record("odt", "Footnotes", str(value))
            paragraphs += 1
            body.append(
                '<text:p>The police record was checked.<text:note text:note-class="footnote"><text:note-citation>1'
                f"</text:note-citation><text:note-body><text:p>{_odf_text(footnote)}</text:p></text:note-body>"
                "</text:note></text:p>"
            )
    content = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}><office:body><office:text>'
    content += "".join(body) + "</office:text></office:body></office:document-content>"
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_ODF_NS}><office:master-styles>'
        f'<style:master-page style:name="Standard"><style:header><text:p>{_odf_text(header)}</text:p></style:header>'
        "</style:master-page></office:master-styles></office:document-styles>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODF_NS}><office:meta>'
        f"<dc:title>{escape(title)}</dc:title><meta:initial-creator>Independent chair</meta:initial-creator>"
        "</office:meta></office:document-meta>"
    )
    return odt_package({"content.xml": content, "styles.xml": styles, "meta.xml": meta})


def odt_package(parts: dict[str, str]) -> bytes:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        + "".join(f'<manifest:file-entry manifest:full-path="{n}" manifest:media-type="text/xml"/>' for n in parts)
        + "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", manifest)
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


# TXT


def _txt(corpus: Corpus) -> bytes:
    lines: list[str] = []
    for marked in TXT_PARAGRAPHS:
        first = len(lines) + 1
        count = _MARK.sub(lambda m: m.group(2), marked).count("\n") + 1
        where = f"Line {first}" if count == 1 else f"Lines {first} to {first + count - 1}"
        lines += [*corpus.record("txt", where, marked).split("\n"), ""]
    return "\r\n".join(lines).encode("utf-8")


# Bad input


def random_bytes() -> bytes:
    return random.Random(7).randbytes(4096)


def truncated_docx() -> bytes:
    whole = build_docx_only()
    return whole[: len(whole) // 2]


def build_docx_only() -> bytes:
    return _docx(Corpus())


def docm() -> bytes:
    """The corpus DOCX declared macro-enabled, with a VBA project part."""

    def macro_enabled(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
        return data

    return _rezip(build_docx_only(), {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(512)}, macro_enabled)


def xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Mary Smith", "03/03/1985"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def docx_with(paragraphs: list[str], *, extra: dict[str, bytes] | None = None) -> bytes:
    """A small DOCX of ``paragraphs``, with ``extra`` parts added to the package."""
    document: docx.document.Document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return _rezip(out.getvalue(), extra or {})
