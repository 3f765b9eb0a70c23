"""Rebuild ordersheet_addin.xlam from xlwings' own ribbon add-in template.

    python addin/classic/build_addin.py

runs `xlwings quickstart ordersheet_addin --addin --ribbon` in a temporary folder and
relabels the ribbon of the .xlam it produces (customUI/customUI.xml, edited inside the zip)
for ordersheet. Every other part of the file, the VBA project included, stays exactly as
xlwings ships it: VBA cannot be edited reliably without Excel, so the ribbon keeps the one
button id and callback the template wires (`myButton` -> `RibbonMyAddin.RunMain` ->
`ordersheet_addin.main()`, which does what Settings `Run` says).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDIN = HERE / "ordersheet_addin.xlam"
CUSTOM_UI = "customUI/customUI.xml"

SUPERTIP = ("On the active workbook: validate, price, reserve stock, plan shipments and invoice "
            "the shipments marked Shipped; or what the Settings row Run says (validate, "
            "dispatch SHP-00003, show INV-00041 ...). Problems go to the Issues sheet.")
RIBBON = f"""\
<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
    <ribbon>
        <tabs>
            <tab id="myaddinTab" label="ordersheet">
                <group id="myGroup" label="Orders">
                    <button id="myButton" label="Process orders" size="large"
                            onAction="RibbonMyAddin.RunMain" imageMso="MacroPlay"
                            screentip="Process orders"
                            supertip="{SUPERTIP}" />
                </group>
            </tab>
        </tabs>
    </ribbon>
</customUI>"""


def xlwings_template(folder: Path) -> Path:
    """The .xlam `xlwings quickstart ordersheet_addin --addin --ribbon` creates."""
    cli = shutil.which("xlwings") or str(Path(sys.executable).with_name("xlwings"))
    subprocess.run([cli, "quickstart", "ordersheet_addin", "--addin", "--ribbon"], cwd=folder,
                   check=True, capture_output=True)
    return folder / "ordersheet_addin" / "ordersheet_addin.xlam"


def relabel(template: Path, out: Path) -> None:
    """Copy `template` to `out`, member by member, with ordersheet's ribbon."""
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        if CUSTOM_UI not in names:
            raise SystemExit(f"{template} has no {CUSTOM_UI}: not xlwings' ribbon template")
        for info in src.infolist():
            data = RIBBON.encode("utf-8") if info.filename == CUSTOM_UI else src.read(info)
            dst.writestr(info, data, compress_type=info.compress_type)


def build(out: Path = ADDIN) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        relabel(xlwings_template(Path(tmp)), out)
    return out


if __name__ == "__main__":
    print(build())
