"""Invoice PDFs with fpdf2. The caller passes the invoice already localized (money and dates
formatted for the reader's language); this module only lays it out, with its own labels in
Indonesian (default) or English.

Page streams are not compressed: invoices stay small and their text extractable. Text is set
in fonts shipped in `service/invoices/fonts/` (package data, with their licenses): DejaVu Sans
(Latin, Greek, Cyrillic, punctuation such as – “ ”) and, as its fallback for what it lacks, Droid
Sans Fallback (Chinese, Japanese, Korean). The fallback (4 MB, about a second to load) is added
only to invoices whose text needs it. Characters neither font has (e.g. emoji) are left out
(fpdf2 logs a warning naming them).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import astuple, dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
STYLES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FALLBACK = ("DroidSansFallback", "DroidSansFallbackFull.ttf")

LABELS = {
    "id": {"title": "FAKTUR", "code": "Nomor", "requested": "Tanggal", "due": "Jatuh tempo",
           "paid": "Dibayar", "status": "Status", "seller": "Penjual", "buyer": "Pembeli",
           "package": "Paket", "description": "Deskripsi", "quantity": "Jml",
           "unit_price": "Harga satuan", "amount": "Jumlah", "total": "Total",
           "tax_id": "NPWP", "workspace": "Workspace", "subtotal": "Subtotal",
           "tax_base": "Dasar Pengenaan Pajak", "tax_rate": "Tarif pajak", "tax_amount": "Pajak",
           "footer": "Faktur ini dibuat secara elektronik oleh Saldo dan sah tanpa tanda tangan."},
    "en": {"title": "INVOICE", "code": "Number", "requested": "Date", "due": "Due",
           "paid": "Paid", "status": "Status", "seller": "Seller", "buyer": "Buyer",
           "package": "Package", "description": "Description", "quantity": "Qty",
           "unit_price": "Unit price", "amount": "Amount", "total": "Total",
           "tax_id": "Tax ID", "workspace": "Workspace", "subtotal": "Subtotal",
           "tax_base": "Tax base", "tax_rate": "Tax rate", "tax_amount": "Tax",
           "footer": "This invoice was issued electronically by Saldo and is valid without a "
                     "signature."},
}
STATUS_WORDS = {
    "id": {"pending": "Menunggu pembayaran", "paid": "Lunas", "expired": "Kedaluwarsa",
           "cancelled": "Dibatalkan", "failed": "Gagal"},
    "en": {"pending": "Awaiting payment", "paid": "Paid", "expired": "Expired",
           "cancelled": "Cancelled", "failed": "Failed"},
}
COLUMNS = (95, 15, 40, 40)  # description, quantity, unit price, amount (mm)


@dataclass(frozen=True)
class InvoicePdf:
    lang: str
    code: str
    status: str
    requested_at: str
    expires_at: str
    paid_at: str | None
    seller: tuple[str, str, str]        # name, address, tax id
    buyer: tuple[str, str, str, str, str, str]   # name, workspace id, address, tax id, e-mail,
    #                                              phone (empty: not printed)
    package: str
    lines: tuple[tuple[str, str, str, str], ...]   # description, quantity, unit price, amount
    total: str
    created: datetime
    tax_rows: tuple[tuple[str, str], ...] = ()     # (label key, value): subtotal, tax base, …


@cache
def _main_font_covers() -> frozenset[int]:
    """The code points DejaVu Sans has (read once per process)."""
    return frozenset(TTFont(FONTS / STYLES[""], lazy=True).getBestCmap())


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)


def _text_of(view: InvoicePdf, words: dict) -> str:
    return " ".join(_strings((*astuple(view), *words.values())))


def _with_fonts(pdf: FPDF, text: str) -> None:
    for style, file in STYLES.items():
        pdf.add_font(FAMILY, style, FONTS / file)
    if any(ord(c) not in _main_font_covers() for c in text if c.isprintable()):
        pdf.add_font(FALLBACK[0], "", FONTS / FALLBACK[1])
        pdf.set_fallback_fonts([FALLBACK[0]], exact_match=False)


def render_invoice(view: InvoicePdf) -> bytes:
    words = LABELS.get(view.lang, LABELS["id"])
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    _with_fonts(pdf, _text_of(view, words))
    pdf.set_creation_date(view.created)
    pdf.set_title(f"{words['title']} {view.code}")
    pdf.set_creator("Saldo")
    pdf.add_page()
    _header(pdf, view, words)
    _parties(pdf, view, words)
    _lines(pdf, view, words)
    pdf.ln(8)
    pdf.set_font(FAMILY, "", 8)
    pdf.multi_cell(0, 4, words["footer"])
    return bytes(pdf.output())


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(40, 6, label)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")


def _header(pdf: FPDF, view: InvoicePdf, words: dict) -> None:
    pdf.set_font(FAMILY, "B", 20)
    pdf.cell(0, 12, words["title"], new_x="LMARGIN", new_y="NEXT")
    statuses = STATUS_WORDS.get(view.lang, STATUS_WORDS["id"])
    _row(pdf, words["code"], view.code)
    _row(pdf, words["requested"], view.requested_at)
    _row(pdf, words["status"], statuses.get(view.status, view.status))
    if view.paid_at:
        _row(pdf, words["paid"], view.paid_at)
    elif view.status == "pending":
        _row(pdf, words["due"], view.expires_at)
    pdf.ln(4)


def _parties(pdf: FPDF, view: InvoicePdf, words: dict) -> None:
    name, address, tax_id = view.seller
    seller = [name] + [line for line in address.splitlines() if line.strip()]
    if tax_id:
        seller.append(f"{words['tax_id']}: {tax_id}")
    b_name, b_workspace, b_address, b_tax_id, b_email, b_phone = view.buyer
    buyer = [b_name] + [line for line in b_address.splitlines() if line.strip()]
    buyer += [x for x in (b_email, b_phone) if x]
    if b_tax_id:
        buyer.append(f"{words['tax_id']}: {b_tax_id}")
    buyer.append(f"{words['workspace']}: {b_workspace}")
    top = pdf.get_y()
    for x, title, block in ((10, words["seller"], seller), (110, words["buyer"], buyer)):
        pdf.set_xy(x, top)
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(90, 6, title, new_x="LEFT", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        for line in block:
            pdf.cell(90, 5, line, new_x="LEFT", new_y="NEXT")
    pdf.set_xy(10, top + 8 + 5 * max(len(seller), len(buyer)))
    _row(pdf, words["package"], view.package)
    pdf.ln(4)


def _lines(pdf: FPDF, view: InvoicePdf, words: dict) -> None:
    pdf.set_font(FAMILY, "B", 10)
    heads = (words["description"], words["quantity"], words["unit_price"], words["amount"])
    for width, head, align in zip(COLUMNS, heads, ("L", "R", "R", "R")):
        pdf.cell(width, 7, head, border="B", align=align)
    pdf.ln()
    pdf.set_font(FAMILY, "", 10)
    for line in view.lines:
        for width, text, align in zip(COLUMNS, line, ("L", "R", "R", "R")):
            pdf.cell(width, 7, text, align=align)
        pdf.ln()
    top = "T"
    for key, value in view.tax_rows:
        pdf.cell(sum(COLUMNS[:3]), 7, words[key], border=top, align="R")
        pdf.cell(COLUMNS[3], 7, value, border=top, align="R", new_x="LMARGIN", new_y="NEXT")
        top = 0
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(sum(COLUMNS[:3]), 8, words["total"], border="T", align="R")
    pdf.cell(COLUMNS[3], 8, view.total, border="T", align="R",
             new_x="LMARGIN", new_y="NEXT")
