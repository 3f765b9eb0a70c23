"""Notes: ordersheet's cell notes as legacy comments and the VML shapes Excel draws them
with, edited as text so user notes, their rich text and Excel's uid attributes are kept
byte for byte."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..plan import NOTE_PREFIX
from ..raw import col_letter, split_a1
from .ooxml import NS_MAIN, XML_DECL
from .xmltext import _Lexer, _attrs, _esc, _prefix_of, _trusted, _unescape


NOTE_AUTHOR = "ordersheet"


_VML_NEW = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:'
    'office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
    '<o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout>{shapetype}{shapes}</xml>')
_VML_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path '
    'gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _vml_shape(sid: int, r: int, c: int) -> str:
    """The VML box Excel draws for a note on (r, c) (1-based), hidden until hovered."""
    anchor = f"{c}, 15, {max(r - 2, 0)}, 10, {c + 2}, 15, {max(r - 2, 0) + 4}, 4"
    return (f'<v:shape id="_x0000_s{sid}" type="#_x0000_t202" style="position:absolute;'
            f'margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:60pt;z-index:{sid % 1024};'
            'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill '
            'color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path '
            'o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div '
            'style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
            f'<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor><x:AutoFill>'
            f'False</x:AutoFill><x:Row>{r - 1}</x:Row><x:Column>{c - 1}</x:Column>'
            '</x:ClientData></v:shape>')


_VML_SHAPE_RE = re.compile(rb"<v:shape(?=[\s>])[^>]*>.*?</v:shape>", re.S)


def _vml_note_cell(shape: bytes) -> tuple[int, int] | None:
    if b'ObjectType="Note"' not in shape:
        return None
    r = re.search(rb"<x:Row>\s*(\d+)\s*</x:Row>", shape)
    c = re.search(rb"<x:Column>\s*(\d+)\s*</x:Column>", shape)
    if not r or not c:
        return None
    return int(r.group(1)) + 1, int(c.group(1)) + 1


@dataclass
class _NotesResult:
    comments: bytes | None
    """new comments part (None: no comments part any more)"""
    vml: bytes | None
    """new VML part (None: none any more)"""
    changed: bool


def _edit_notes(comments: bytes | None, vml: bytes | None, marks: dict[tuple[int, int], str],
                clears: set[tuple[int, int]], vml_block: int) -> _NotesResult:
    """Apply ordersheet's notes to a sheet's comments and VML parts (text edits: user
    notes, their rich text and Excel's uid attributes are kept byte for byte)."""
    if comments is not None:
        comments = _trusted(comments, "comments")
        P = _prefix_of(comments, "comments")
    else:
        P = b""
    lex = _Lexer(P)
    E = re.escape(P)
    existing: dict[tuple[int, int], tuple[bytes, bool]] = {}
    order: list[tuple[int, int]] = []
    authors: list[str] = []
    if comments is not None:
        for m in re.finditer(rb"<" + E + rb"author(?:\s[^>]*)?(?:/>|>(.*?)</" + E + rb"author>)",
                             comments, re.S):
            authors.append(_unescape(m.group(1) or b""))
        for m in re.finditer(rb"<" + E + rb"comment(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + E +
                             rb"comment>)", comments, re.S):
            ref = _attrs(m.group(1)).get("ref", "")
            try:
                rc = split_a1(ref)
            except ValueError:
                continue
            text = lex.text_of(m.group(2) or b"")
            existing[rc] = (m.group(0), text.startswith(NOTE_PREFIX.strip()))
            order.append(rc)
    changed = False
    removed: set[tuple[int, int]] = set()
    added: set[tuple[int, int]] = set()
    result: dict[tuple[int, int], bytes] = {rc: existing[rc][0] for rc in order}
    if NOTE_AUTHOR in authors:
        author_id = authors.index(NOTE_AUTHOR)
    else:
        author_id = len(authors)
    for rc in clears:
        if rc in marks:
            continue
        got = existing.get(rc)
        if got and got[1]:
            del result[rc]
            removed.add(rc)
            changed = True
    for rc, note in marks.items():
        got = existing.get(rc)
        if got and not got[1]:
            continue  # the user's own note: never replaced
        text = note if note.startswith(NOTE_PREFIX) else NOTE_PREFIX + note
        xml = (f'<{P.decode()}comment ref="{col_letter(rc[1])}{rc[0]}" authorId="{author_id}">'
               f'<{P.decode()}text><{P.decode()}t xml:space="preserve">{_esc(text)}</'
               f'{P.decode()}t></{P.decode()}text></{P.decode()}comment>').encode()
        if got is None:
            added.add(rc)
        if result.get(rc) != xml:
            result[rc] = xml
            changed = True
    if not changed:
        return _NotesResult(comments, vml, False)
    # comments part
    if not result:
        new_comments = None
    else:
        body = b"".join(result[rc] for rc in sorted(result))
        if comments is None:
            new_comments = (XML_DECL + f'<comments xmlns="{NS_MAIN}"><authors><author>'
                            f'{NOTE_AUTHOR}</author></authors><commentList>'.encode() +
                            body + b"</commentList></comments>")
        else:
            new_comments = comments
            if NOTE_AUTHOR not in authors and any(
                    x.startswith(b"<" + P + b"comment") and b'authorId="%d"' % author_id in x
                    for x in result.values()):
                am = re.search(rb"</" + E + rb"authors>", new_comments)
                item = b"<" + P + b"author>" + NOTE_AUTHOR.encode() + b"</" + P + b"author>"
                if am:
                    new_comments = new_comments[:am.start()] + item + new_comments[am.start():]
                else:
                    sm = re.search(rb"<" + E + rb"authors\s*/>", new_comments)
                    block = b"<" + P + b"authors>" + item + b"</" + P + b"authors>"
                    if sm:
                        new_comments = new_comments[:sm.start()] + block + \
                            new_comments[sm.end():]
                    else:
                        root = re.search(rb"<" + E + rb"comments[^>]*>", new_comments)
                        new_comments = new_comments[:root.end()] + block + \
                            new_comments[root.end():]
            lm = re.search(rb"<" + E + rb"commentList(?=[\s/>])[^>]*?(?:/>|>.*?</" + E +
                           rb"commentList>)", new_comments, re.S)
            new_list = b"<" + P + b"commentList>" + body + b"</" + P + b"commentList>"
            if lm:
                new_comments = new_comments[:lm.start()] + new_list + new_comments[lm.end():]
            else:
                end = new_comments.rindex(b"</" + P + b"comments>")
                new_comments = new_comments[:end] + new_list + new_comments[end:]
    # VML shapes
    new_vml = vml
    if vml is not None:
        shapes = {}
        for m in _VML_SHAPE_RE.finditer(vml):
            cell = _vml_note_cell(m.group(0))
            if cell:
                shapes[cell] = m
        gone = [shapes[rc] for rc in removed if rc in shapes]
        if gone:
            pieces, pos = [], 0
            for m in sorted(gone, key=lambda m: m.start()):
                pieces.append(vml[pos:m.start()])
                pos = m.end()
            pieces.append(vml[pos:])
            new_vml = b"".join(pieces)
        missing = sorted(rc for rc in result if rc not in shapes)
        if missing:
            ids = [int(x) for x in re.findall(rb"_x0000_s(\d+)", new_vml)]
            nxt = max(ids + [vml_block * 1024]) + 1
            add = "".join(_vml_shape(nxt + i, r, c) for i, (r, c) in enumerate(missing))
            if b"_x0000_t202" not in new_vml:
                add = _VML_SHAPETYPE + add
            end = new_vml.rfind(b"</xml>")
            if end >= 0:
                new_vml = new_vml[:end] + add.encode() + new_vml[end:]
        if not re.search(rb"<v:(?:shape|rect|roundrect|oval|line|polyline|arc|curve|group|"
                         rb"image)[\s>/]", new_vml):
            new_vml = None
    elif result:
        cells = sorted(result)
        blocks = len(cells) // 1024 + 1
        idmap = ",".join(str(vml_block + i) for i in range(blocks))
        shapes = "".join(_vml_shape(vml_block * 1024 + 1 + i, r, c)
                         for i, (r, c) in enumerate(cells))
        new_vml = _VML_NEW.format(idmap=idmap, shapetype=_VML_SHAPETYPE, shapes=shapes).encode()
    return _NotesResult(new_comments, new_vml, True)
