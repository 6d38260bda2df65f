"""Checks the broker's monthly report (GET /api/v1/report) against its KPI
documents (GET /api/v1/kpi of every unit of the report).

    report_check.py summary CSV KPIS.json UNITS.json
    report_check.py lists CSV KPIS.json UNITS.json MIN_SAMPLE
    report_check.py xlsx FILE KPIS.json UNITS.json
    report_check.py indicators CSV INDICATORS.json
    report_check.py png FILE

KPIS.json maps a unit ID to its /api/v1/kpi document; UNITS.json lists the
report's units in order (the unit itself first, then each unit under it),
each {"id", "name", "tier"}; INDICATORS.json is /api/v1/indicators of the
report's unit and year. Exit status 1 with the difference on stderr."""
import csv
import io
import json
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile

KEYS = ["response", "solved", "satisfied", "closure", "closure_in_time", "return_rate", "shuffles",
        "rework_rate", "extensions", "suspensions", "accept_time", "handle_time", "whistle_time"]
HIGHER = {"response", "solved", "satisfied", "closure", "closure_in_time"}
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def die(msg):
    print(f"report_check: {msg}", file=sys.stderr)
    sys.exit(1)


def shown(k):
    """A KPI as the report shows it: per cent for a rate; None without a sample."""
    if k["value"] is None:
        return None
    return k["value"] * 100 if k["unit"] == "ratio" else k["value"]


def read_csv(path):
    raw = open(path, "rb").read()
    if not raw.startswith(b"\xef\xbb\xbf"):
        die("the CSV has no UTF-8 byte-order mark")
    text = raw[3:].decode("utf-8")
    if "\r\n" not in text:
        die("the CSV's lines do not end in CRLF")
    return list(csv.reader(io.StringIO(text, newline="")))


def summary(path, kpis, units):
    rows = read_csv(path)
    head, body = rows[0], rows[1:]
    if head[:4] != ["单位", "编码", "层级", "派单数"] or len(head) != 4 + len(KEYS):
        die(f"summary heading {head}")
    if [r[1] for r in body] != [u["id"] for u in units]:
        die(f"summary units {[r[1] for r in body]} != {[u['id'] for u in units]}")
    for r, u in zip(body, units):
        doc = kpis[u["id"]]
        if r[0] != u["name"]:
            die(f"{u['id']}: name {r[0]} != {u['name']}")
        if int(r[3]) != doc["counters"]["dispatched"]:
            die(f"{u['id']}: 派单数 {r[3]} != {doc['counters']['dispatched']}")
        for i, key in enumerate(KEYS):
            want, cell = shown(doc["kpis"][key]), r[4 + i]
            if want is None:
                if cell != "":
                    die(f"{u['id']} {key}: {cell!r} where there is no sample")
            elif abs(float(cell) - want) > 0.006:
                die(f"{u['id']} {key}: {cell} != {want}")


def expected_lists(kpis, units, min_sample, key):
    """Red and black lists of the units of each tier under the report's unit."""
    out = {}
    for tier in ("township", "community", "department"):
        same = [u for u in units[1:] if u["tier"] == tier]
        if not same:
            continue
        higher = key in HIGHER
        ranked = []
        for u in same:
            k = kpis[u["id"]]["kpis"][key]
            if k["value"] is not None and k["denominator"] >= min_sample:
                ranked.append((k["value"], k["denominator"], u["id"]))
        ranked.sort(key=lambda t: ((-t[0] if higher else t[0]), -t[1], t[2]))
        n = min(5, len(ranked) // 2)
        out[tier] = ([t[2] for t in ranked[:n]], [t[2] for t in reversed(ranked)][:n])
    return out


def lists(path, kpis, units, min_sample):
    rows = read_csv(path)[1:]
    tiers = {"街道": "township", "社区": "community", "部门": "department"}
    # The KPI's heading in the CSV starts with its Chinese name; map by the
    # order of KEYS through the names in any KPI document.
    names = {kpis[units[0]["id"]]["kpis"][k]["name"]: k for k in KEYS}
    got = {}
    for r in rows:
        name = next(n for n in names if r[0].startswith(n) and (len(r[0]) == len(n) or r[0][len(n)] == "("))
        key, tier = names[name], tiers[r[1]]
        red, black = got.setdefault((key, tier), ([], []))
        (red if r[2] == "红榜" else black).append(r[5])
        doc = kpis[r[5]]["kpis"][key]
        if abs(float(r[6]) - shown(doc)) > 0.006 or int(r[7]) != doc["numerator"] or int(r[8]) != doc["denominator"]:
            die(f"{key} {r[5]}: row {r} != {doc}")
    total = 0
    for key in KEYS:
        want = expected_lists(kpis, units, min_sample, key)
        for tier, (red, black) in want.items():
            g = got.get((key, tier), ([], []))
            if (red, black) != (g[0], g[1]):
                die(f"{key} {tier}: red/black {g} != {(red, black)}")
            total += len(red) + len(black)
    if total != len(rows):
        die(f"{len(rows)} list rows, {total} expected")
    print(total)


def xlsx(path, kpis, units):
    z = zipfile.ZipFile(path)
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    sheets = [s.get("name") for s in wb.find("m:sheets", NS)]
    if sheets != ["汇总", "红黑榜", "规划指标", "说明"]:
        die(f"sheets {sheets}")
    if not any(n.startswith("xl/charts/chart") for n in z.namelist()):
        die("the workbook has no chart")
    strings = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            strings.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for c in sheet.iter("{%s}c" % NS["m"]):
        v = c.find("m:v", NS)
        if v is None:
            continue
        cells[c.get("r")] = strings[int(v.text)] if c.get("t") == "s" else float(v.text)

    def col(i):
        s = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(65 + r) + s
        return s

    for n, u in enumerate(units):
        row = 4 + n
        if cells.get(f"B{row}") != u["id"] or cells.get(f"A{row}") != u["name"]:
            die(f"sheet 汇总 row {row}: {cells.get(f'A{row}')} {cells.get(f'B{row}')} != {u}")
        for i, key in enumerate(KEYS):
            want, got = shown(kpis[u["id"]]["kpis"][key]), cells.get(f"{col(4 + i)}{row}")
            if want is None:
                if got is not None:
                    die(f"{u['id']} {key}: {got} where there is no sample")
            elif got is None or abs(got - want) > 1e-9:
                die(f"{u['id']} {key}: {got} != {want}")


def indicators(path, doc):
    rows = read_csv(path)
    if rows[0][:6] != ["单位", "编码", "指标", "数值", "目标", "达标"]:
        die(f"indicators heading {rows[0]}")
    units = [(doc["unit"]["id"], doc["indicators"])]
    units += [(t["id"], t["indicators"]) for t in doc.get("townships", [])]
    want = []
    for uid, inds in units:
        for i in inds:
            value = "" if i["value"] is None else f"{i['value']:.2f}"
            target = "" if i["target"] is None else f"{i['target']:g}"
            met = "" if i["met"] is None else ("是" if i["met"] else "否")
            want.append([uid, i["zh"], value, target, met])
    got = [[r[1], r[2], r[3], r[4], r[5]] for r in rows[1:]]
    if got != want:
        for g, w in zip(got, want):
            if g != w:
                die(f"indicator row {g} != {w}")
        die(f"{len(got)} indicator rows, {len(want)} expected")
    print(sum(1 for w in want if w[2] != ""))


def png(path):
    b = open(path, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n" or b[12:16] != b"IHDR":
        die("not a PNG")
    w, h = struct.unpack(">II", b[16:24])
    if (w, h) != (1400, 720):
        die(f"PNG {w}x{h}")
    if len(b) < 10000:
        die(f"a PNG of {len(b)} bytes is too plain to be a chart")


def main():
    what = sys.argv[1]
    if what == "png":
        png(sys.argv[2])
        return
    if what == "indicators":
        indicators(sys.argv[2], json.load(open(sys.argv[3])))
        return
    kpis = json.load(open(sys.argv[3]))
    units = json.load(open(sys.argv[4]))
    if what == "summary":
        summary(sys.argv[2], kpis, units)
    elif what == "lists":
        lists(sys.argv[2], kpis, units, int(sys.argv[5]))
    elif what == "xlsx":
        xlsx(sys.argv[2], kpis, units)
    else:
        die(f"unknown check {what}")


main()
