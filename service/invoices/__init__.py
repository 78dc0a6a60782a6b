"""Invoices: the invoice documents and their lifecycle (invoices.py), invoice codes
(numbering.py) and the PDF rendering with its vendored fonts (pdf.py, fonts/)."""
