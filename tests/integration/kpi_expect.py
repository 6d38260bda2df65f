#!/usr/bin/env python3
"""kpi_expect.py TOPOLOGY EVENTS MONTH: the KPI counters the README's
formulas give for each unit in MONTH ("YYYY-MM", Asia/Shanghai), computed
here from the nodes' logs (EVENTS: one BusEvent as JSON a line, every
node's log, each in its order), without the broker's code. Prints
{unit: {counter: n}} for the counters below; a unit's figure is its own and
its subtree's."""
import json
import sys
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
COUNTERS = ["dispatched", "signed_in_time", "accepted", "due", "closed", "closed_in_time", "returns", "rated",
            "rated_resolved", "rated_satisfied"]


def month_of(ms):
    return datetime.fromtimestamp(int(ms) / 1000, BEIJING).strftime("%Y-%m")


def counter(ev, name):
    return int((ev.get("counters") or {}).get(name, 0) or 0)


def main():
    topo = json.load(open(sys.argv[1]))
    month = sys.argv[3]
    parent = {}
    for n in topo["nodes"]:
        i = n["id"]
        parent[i] = i.rsplit(".", 1)[0] if "." in i else None
    # departments hang under the district or a township: their parent is the ID's prefix as well
    totals = {n["id"]: {c: 0 for c in COUNTERS} for n in topo["nodes"]}

    def add(node, name, ms):
        if month_of(ms) != month:
            return
        u = node
        while u is not None and u in totals:
            totals[u][name] += 1
            u = parent.get(u)

    stints = {}  # (node, case) -> dict
    for line in open(sys.argv[2]):
        line = line.strip()
        if not line:
            continue
        ev = json.loads(line)
        node, case, kind = ev.get("node"), ev.get("case_id"), ev.get("kind")
        if not case or node not in totals or kind in ("status", "due-soon"):
            continue
        t = int(ev.get("time_ms", 0))
        holder = ev.get("holder", "")
        key = (node, case)
        if kind == "received" or (kind == "reported" and holder == node):
            stints[key] = {"start": t, "due_at": None, "late_accept": False, "late_resolve": False,
                           "accepted": False, "closed": False, "accept_due": int(ev.get("accept_due_ms", 0) or 0),
                           "oa": counter(ev, "overdue_accept"), "or": counter(ev, "overdue_resolve")}
            add(node, "dispatched", t)
            continue
        s = stints.get(key)
        if s is None:
            continue
        if counter(ev, "overdue_accept") > s["oa"]:
            s["late_accept"] = True
        if counter(ev, "overdue_resolve") > s["or"]:
            s["late_resolve"] = True
            if s["due_at"] is None:
                s["due_at"] = t
                add(node, "due", t)
        s["oa"], s["or"] = counter(ev, "overdue_accept"), counter(ev, "overdue_resolve")
        if int(ev.get("accept_due_ms", 0) or 0) > 0:
            s["accept_due"] = int(ev["accept_due_ms"])
        if kind == "accepted" and not s["accepted"]:
            s["accepted"] = True
            add(node, "accepted", t)
            if not s["late_accept"] and (s["accept_due"] <= 0 or t <= s["accept_due"]):
                add(node, "signed_in_time", s["start"])
        elif kind in ("verified", "closed") and ev.get("state") == "closed" and not s["closed"]:
            s["closed"] = True
            if s["due_at"] is None:
                s["due_at"] = t
                add(node, "due", t)
            add(node, "closed", s["due_at"])
            if not s["late_resolve"]:
                add(node, "closed_in_time", s["due_at"])
        elif kind == "rated":
            r = ev.get("rating") or {}
            add(node, "rated", t)
            if r.get("resolved"):
                add(node, "rated_resolved", t)
            if r.get("satisfied"):
                add(node, "rated_satisfied", t)
        elif kind == "returned":
            add(node, "returns", t)
        if holder != node:
            del stints[key]
    json.dump(totals, sys.stdout, sort_keys=True)


main()
