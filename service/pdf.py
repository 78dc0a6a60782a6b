"""Invoice PDFs with fpdf2. The caller passes the invoice already localized (money and dates
formatted for the reader's language); this module only lays it out, with its own labels in
Indonesian (default) or English.

Page streams are not compressed: invoices are a few KB and their text stays searchable.
The built-in Helvetica font covers Latin-1; other characters (e.g. emoji in a workspace name)
are printed as `?`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

LABELS = {
    "id": {"title": "FAKTUR", "code": "Nomor", "requested": "Tanggal", "due": "Jatuh tempo",
           "paid": "Dibayar", "status": "Status", "seller": "Penjual", "buyer": "Pembeli",
           "package": "Paket", "description": "Deskripsi", "quantity": "Jml",
           "unit_price": "Harga satuan", "amount": "Jumlah", "total": "Total",
           "tax_id": "NPWP", "workspace": "Workspace",
           "footer": "Faktur ini dibuat secara elektronik oleh Saldo dan sah tanpa tanda tangan."},
    "en": {"title": "INVOICE", "code": "Number", "requested": "Date", "due": "Due",
           "paid": "Paid", "status": "Status", "seller": "Seller", "buyer": "Buyer",
           "package": "Package", "description": "Description", "quantity": "Qty",
           "unit_price": "Unit price", "amount": "Amount", "total": "Total",
           "tax_id": "Tax ID", "workspace": "Workspace",
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
    buyer: tuple[str, str]              # name, workspace id
    package: str
    lines: tuple[tuple[str, str, str, str], ...]   # description, quantity, unit price, amount
    total: str
    created: datetime


def _latin1(text: str) -> str:
    return text.encode("latin-1", errors="replace").decode("latin-1")


def render_invoice(view: InvoicePdf) -> bytes:
    words = LABELS.get(view.lang, LABELS["id"])
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_creation_date(view.created)
    pdf.set_title(_latin1(f"{words['title']} {view.code}"))
    pdf.set_creator("Saldo")
    pdf.add_page()
    _header(pdf, view, words)
    _parties(pdf, view, words)
    _lines(pdf, view, words)
    pdf.ln(8)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, _latin1(words["footer"]))
    return bytes(pdf.output())


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(40, 6, _latin1(label))
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")


def _header(pdf: FPDF, view: InvoicePdf, words: dict) -> None:
    pdf.set_font("Helvetica", "B", 20)
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
    buyer = [view.buyer[0], f"{words['workspace']}: {view.buyer[1]}"]
    top = pdf.get_y()
    for x, title, block in ((10, words["seller"], seller), (110, words["buyer"], buyer)):
        pdf.set_xy(x, top)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(90, 6, _latin1(title), new_x="LEFT", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for line in block:
            pdf.cell(90, 5, _latin1(line), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(10, top + 8 + 5 * max(len(seller), len(buyer)))
    _row(pdf, words["package"], view.package)
    pdf.ln(4)


def _lines(pdf: FPDF, view: InvoicePdf, words: dict) -> None:
    pdf.set_font("Helvetica", "B", 10)
    heads = (words["description"], words["quantity"], words["unit_price"], words["amount"])
    for width, head, align in zip(COLUMNS, heads, ("L", "R", "R", "R")):
        pdf.cell(width, 7, _latin1(head), border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in view.lines:
        for width, text, align in zip(COLUMNS, line, ("L", "R", "R", "R")):
            pdf.cell(width, 7, _latin1(text), align=align)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(sum(COLUMNS[:3]), 8, words["total"], border="T", align="R")
    pdf.cell(COLUMNS[3], 8, _latin1(view.total), border="T", align="R",
             new_x="LMARGIN", new_y="NEXT")
