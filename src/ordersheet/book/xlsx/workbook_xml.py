"""workbook.xml and [Content_Types].xml at the end of a save: sheet list, states, active
tab, defined names and recalculation; overrides of added and removed parts."""

from __future__ import annotations

import re

from ..port import WorkbookError
from .edits import _Edit
from .ooxml import NS_R
from .xmltext import _attrs, _esc_attr, _prefix_of, _set_attr, _trusted


class _WorkbookParts:
    """The package-wide steps of a save, a mixin of `save._Build`: the sheet list, sheet
    states, active tab, defined names' sheet indexes and calculation flag in
    workbook.xml, and the overrides in [Content_Types].xml."""

    # -- workbook.xml and [Content_Types].xml --
    def _workbook(self, order: list[str], hidden: dict[str, bool], active: str | None,
                  edits: dict[str, _Edit]) -> None:
        book = self.book
        xml = book.wb_xml
        P = _prefix_of(xml, "workbook")
        E = re.escape(P)
        old_names = [s.name for s in book.sheets]
        sm = re.search(rb"<" + E + rb"sheets(?=[\s>])[^>]*>(.*?)</" + E + rb"sheets>", xml, re.S)
        if sm is None:
            raise WorkbookError("the workbook has no sheet list")
        elems = [m.group(0) for m in re.finditer(
            rb"<" + E + rb"sheet(?=[\s/>])[^>]*?(?:/>|>.*?</" + E + rb"sheet>)", sm.group(1),
            re.S)]
        if len(elems) != len(book.sheets):
            raise WorkbookError("the workbook's sheet list is damaged")
        changed = order != old_names
        rm = re.search(rb'xmlns:([\w.\-]+)="' + re.escape(NS_R.encode()) + rb'"', xml)
        rdecl = b"" if rm else b' xmlns:r="' + NS_R.encode() + b'"'
        rp = rm.group(1) if rm else b"r"
        next_id = max([s.sheet_id for s in book.sheets] + [0]) + 1
        items = []
        for name in order:
            if name in old_names:
                el = elems[old_names.index(name)]
                if name in hidden:
                    end = el.find(b">") + 1
                    tag = el[:end]
                    state = _attrs(tag).get("state")
                    want = "hidden" if hidden[name] else None
                    if want is None and state == "veryHidden":
                        want = None
                    if state != want:
                        el = _set_attr(tag, "state", want) + el[end:]
                        changed = True
                items.append(el)
            else:
                rid = self.created_rids[name]
                state = b' state="hidden"' if hidden.get(name) else b""
                items.append(b"<" + P + b'sheet name="' + _esc_attr(name).encode() +
                             b'" sheetId="%d"' % next_id + state + rdecl + b" " + rp +
                             b':id="' + rid.encode() + b'"/>')
                next_id += 1
        new_index = {old: order.index(old) for old in old_names}
        if changed:
            xml = xml[:sm.start(1)] + b"".join(items) + xml[sm.end(1):]

        def remap(m: re.Match) -> bytes:
            tag = m.group(0)
            v = _attrs(tag).get("localSheetId")
            if v is not None and v.isdigit() and int(v) < len(old_names):
                return _set_attr(tag, "localSheetId", str(new_index[old_names[int(v)]]))
            return tag
        if order[:len(old_names)] != old_names:
            xml = re.sub(rb"<" + E + rb"definedName(?=\s)[^>]*>", remap, xml)
        visible = [i for i, n in enumerate(order) if not (
            hidden.get(n) if n in hidden else
            (book._sheet(n) is not None and book._sheet(n).state in ("hidden", "veryHidden")))]
        vm = re.search(rb"<" + E + rb"workbookView(?=[\s/>])[^>]*?/?>", xml)
        if vm is not None:
            tag = vm.group(0)
            a = _attrs(tag)
            old_active = int(a["activeTab"]) if a.get("activeTab", "").isdigit() else 0
            new_active = new_index.get(old_names[old_active], 0) if \
                old_active < len(old_names) else 0
            if active is not None:
                new_active = order.index(active)
            if visible and new_active not in visible:
                new_active = visible[0]
            new_tag = _set_attr(tag, "activeTab", str(new_active)) if new_active or \
                "activeTab" in a else tag
            first = int(a["firstSheet"]) if a.get("firstSheet", "").isdigit() else 0
            if first and first < len(old_names):
                first = new_index[old_names[first]]
            if first > new_active:
                new_tag = _set_attr(new_tag, "firstSheet", str(new_active))
            if new_tag != tag:
                xml = xml[:vm.start()] + new_tag + xml[vm.end():]
                changed = True
        elif active is not None and order.index(active):
            pos = sm.start()
            xml = (xml[:pos] + b"<" + P + b'bookViews><' + P + b'workbookView activeTab="%d"/>'
                   % order.index(active) + b"</" + P + b"bookViews>" + xml[pos:])
            changed = True
        if self.values_changed:
            cm = re.search(rb"<" + E + rb"calcPr(?=[\s/>])[^>]*?/?>", xml)
            if cm is not None:
                tag = _set_attr(cm.group(0), "fullCalcOnLoad", "1")
                if tag != cm.group(0):
                    xml = xml[:cm.start()] + tag + xml[cm.end():]
                    changed = True
            else:
                pos = None
                for nxt in ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                            "smartTagTypes", "webPublishing", "fileRecoveryPr",
                            "webPublishObjects", "extLst"):
                    mm = re.search(rb"<" + E + nxt.encode() + rb"(?=[\s/>])", xml)
                    if mm:
                        pos = mm.start()
                        break
                if pos is None:
                    pos = xml.rindex(b"</" + P + b"workbook>")
                xml = xml[:pos] + b"<" + P + b'calcPr fullCalcOnLoad="1"/>' + xml[pos:]
                changed = True
        if changed or xml != book.wb_xml:
            self.put(book.wb_path, xml)

    def _content_types(self) -> None:
        xml = _trusted(self.book.content_types, "content types")
        orig = xml
        P = _prefix_of(xml, "Types")
        E = re.escape(P)
        gone = self.removed
        if gone:
            def drop(m: re.Match) -> bytes:
                part = _attrs(m.group(0)).get("PartName", "").lstrip("/").lower()
                return b"" if part in gone else m.group(0)
            xml = re.sub(rb"<" + E + rb"Override(?=\s)[^>]*?(?:/>|>.*?</" + E + rb"Override>)",
                         drop, xml, flags=re.S)
        have_defaults = {k for k, v in self.book._ct_defaults.items()}
        add = b""
        for ext, ct in self.ct_default_add.items():
            if ext not in have_defaults:
                add += (b"<" + P + b'Default Extension="' + ext.encode() +
                        b'" ContentType="' + ct.encode() + b'"/>')
        for part, ct in self.ct_add.items():
            if part.lower() in gone:
                continue
            if self.book._ct_overrides.get(part.lower()) == ct:
                continue
            add += (b"<" + P + b'Override PartName="/' + _esc_attr(part).encode() +
                    b'" ContentType="' + ct.encode() + b'"/>')
        if add:
            end = xml.rindex(b"</" + P + b"Types>")
            xml = xml[:end] + add + xml[end:]
        if xml != orig:
            self.put(self.pkg.find("[Content_Types].xml"), xml)


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name) or \
            name.startswith("'") or name.endswith("'") or name.lower() == "history":
        raise WorkbookError(f"{name!r} is not a valid sheet name")
