"""The text of a PDF that fpdf2 wrote uncompressed (service/invoices/pdf.py), in pure Python: fonts
are looked up in the page's /Font resources, each font's ToUnicode CMap maps the shown codes
back to characters, and every text object (BT … ET) becomes one line. Enough for our own
invoices; not a general PDF reader."""
from __future__ import annotations

import re
import zlib

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
           ord("f"): b"\f", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}


def _stream(body: bytes) -> bytes:
    data = STREAM.search(body).group(1)
    return zlib.decompress(data) if b"/FlateDecode" in body.split(b"stream")[0] else data


def _cmap(data: bytes) -> dict[bytes, str]:
    out: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>",
                                      block):
            width, first = len(lo) // 2, int(dst, 16)
            for n, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code.to_bytes(width, "big")] = chr(first + n)
    return out


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """The literal string starting after the "(" at data[i-1] → (bytes, index after ")")."""
    out, depth = bytearray(), 1
    while True:
        c = data[i]
        if c == ord("\\"):
            nxt = data[i + 1]
            if nxt in ESCAPES:
                out += ESCAPES[nxt]
                i += 2
            else:
                digits = re.match(rb"[0-7]{1,3}", data[i + 1:i + 4]).group(0)
                out.append(int(digits, 8))
                i += 1 + len(digits)
            continue
        depth += (c == ord("(")) - (c == ord(")"))
        if depth == 0:
            return bytes(out), i + 1
        out.append(c)
        i += 1


def pdf_text(pdf: bytes) -> str:
    objects = {int(n): body for n, body in OBJECT.findall(pdf)}
    fonts: dict[bytes, dict[bytes, str]] = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            unicode_ref = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(ref)])
            fonts[name] = _cmap(_stream(objects[int(unicode_ref.group(1))])) \
                if unicode_ref else {}
    lines: list[str] = []
    for body in objects.values():
        if b"stream" in body and b" Tj" in body:
            lines += _show(_stream(body), fonts)
    return "\n".join(lines)


def _show(content: bytes, fonts: dict[bytes, dict[bytes, str]]) -> list[str]:
    lines, line, cmap, i = [], [], {}, 0
    while i < len(content):
        if content.startswith(b"ET", i) and (i + 2 == len(content) or content[i + 2] in b" \n"):
            if line:
                lines.append("".join(line))
            line = []
        elif content[i] == ord("/"):
            name = re.match(rb"/(\w+)", content[i:]).group(1)
            cmap = fonts.get(name, cmap)
        elif content[i] == ord("("):
            text, i = _literal(content, i + 1)
            width = len(next(iter(cmap), b"x"))
            line += [cmap.get(text[k:k + width], text[k:k + width].decode("latin-1"))
                     for k in range(0, len(text), width)]
            continue
        i += 1
    return lines
