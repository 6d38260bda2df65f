#!/usr/bin/env python3
"""openapi_check.py: checks the staff API's OpenAPI document and real answers against it.

  openapi_check.py document DOC            the document is well-formed OpenAPI 3.0
  openapi_check.py answers DOC MANIFEST    every answer recorded in MANIFEST (one JSON object a
                                           line: method, url, status, type, body, request, pending)
                                           validates against the schema the document gives for its
                                           path, method and status; and the schemas refuse what the
                                           API must not write (an undeclared key, a wrong type, a
                                           missing key)
  openapi_check.py answers-only DOC MANIFEST   the answers only, for a test of a few routes
  openapi_check.py recorded DOC MANIFEST   the answers in MANIFEST validate, without the altered
                                           copies (for a test that records only some routes)

Schemas are validated as JSON Schema draft 4 (what OpenAPI 3.0's schema objects extend), $refs
resolved in the document, formats date-time, int32 and int64 checked. Exits 1 with the path and the
validation error on the first failure.
"""
import json
import re
import sys
import urllib.parse
import warnings

import jsonschema

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
warnings.simplefilter("ignore", DeprecationWarning)  # RefResolver, kept for Debian 12's jsonschema


def fail(msg):
    print("openapi_check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def pointer(doc, ref):
    if not ref.startswith("#/"):
        raise KeyError(ref)
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def walk(node, where="#"):
    """Every (location, $ref) in node."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield where, node["$ref"]
        for k, v in node.items():
            yield from walk(v, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, "%s/%d" % (where, i))


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(doc, node["$ref"])
    return node


def formats():
    fc = jsonschema.FormatChecker()
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

    @fc.checks("date-time")
    def date_time(v):
        return not isinstance(v, str) or bool(iso.match(v))

    @fc.checks("int32")
    def int32(v):
        return not isinstance(v, int) or -(2**31) <= v < 2**31

    @fc.checks("int64")
    def int64(v):
        return not isinstance(v, int) or -(2**63) <= v < 2**63

    return fc


class Doc:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.fc = formats()
        base = self.doc.get("servers", [{}])[0].get("url", "")
        self.base_path = urllib.parse.urlsplit(base).path.rstrip("/")
        self.templates = []
        for tmpl in self.doc.get("paths", {}):
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tmpl)) + "$"
            self.templates.append((tmpl.count("{"), tmpl, re.compile(rx)))
        self.templates.sort()

    def errors(self, schema, value):
        v = jsonschema.Draft4Validator(schema, resolver=self.resolver, format_checker=self.fc)
        return sorted(v.iter_errors(value), key=lambda e: list(e.absolute_path))

    def template(self, url):
        path = urllib.parse.urlsplit(url).path
        if not path.startswith(self.base_path + "/"):
            return None
        path = path[len(self.base_path):]
        for _, tmpl, rx in self.templates:
            if rx.match(path):
                return tmpl
        return None


def check_document(d):
    doc = d.doc
    if not str(doc.get("openapi", "")).startswith("3.0."):
        fail("openapi is %r, not 3.0.x" % doc.get("openapi"))
    for key in ("title", "version"):
        if not isinstance(doc.get("info", {}).get(key), str):
            fail("info.%s missing" % key)
    if not doc.get("servers") or not doc["servers"][0].get("url"):
        fail("no servers entry")
    if not isinstance(doc.get("paths"), dict) or not doc["paths"]:
        fail("no paths")
    for where, ref in walk(doc):
        try:
            pointer(doc, ref)
        except (KeyError, IndexError, ValueError):
            fail("%s: $ref %s does not resolve" % (where, ref))
    schemes = doc.get("components", {}).get("securitySchemes", {})
    for name in ("bearer", "cookie"):
        if name not in schemes:
            fail("securitySchemes has no %s" % name)
    ids = set()
    n_ops = 0
    for tmpl, item in doc["paths"].items():
        if not tmpl.startswith("/"):
            fail("path %s does not start with /" % tmpl)
        declared = {deref(doc, p)["name"] for p in item.get("parameters", []) if deref(doc, p)["in"] == "path"}
        ops = [m for m in METHODS if m in item]
        if not ops:
            fail("%s has no operation" % tmpl)
        for m in ops:
            op = item[m]
            n_ops += 1
            names = declared | {deref(doc, p)["name"] for p in op.get("parameters", []) if deref(doc, p)["in"] == "path"}
            if names != set(re.findall(r"\{([^}]+)\}", tmpl)):
                fail("%s %s: path parameters %s do not match the template" % (m.upper(), tmpl, sorted(names)))
            if not op.get("responses"):
                fail("%s %s has no responses" % (m.upper(), tmpl))
            for status, resp in op["responses"].items():
                if "description" not in deref(doc, resp):
                    fail("%s %s %s: a response without a description" % (m.upper(), tmpl, status))
            if op.get("operationId") in ids:
                fail("operationId %s twice" % op["operationId"])
            ids.add(op.get("operationId"))
            for req in op.get("security", doc.get("security", [])):
                for name in req:
                    if name not in schemes:
                        fail("%s %s: security scheme %s is not declared" % (m.upper(), tmpl, name))
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            jsonschema.Draft4Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            fail("components/schemas/%s is not a schema: %s" % (name, e.message))
    return n_ops


def response_for(d, method, url, status):
    """The response object the document gives, and a name for it."""
    doc = d.doc
    tmpl = d.template(url)
    if tmpl is None:
        if status != 404:
            fail("%s %s: a path the document does not list answered %d" % (method, url, status))
        return doc["components"]["responses"]["NotFound"], "%s (not listed)" % url
    item = doc["paths"][tmpl]
    op = item.get(method.lower())
    name = "%s %s %d" % (method, tmpl, status)
    if op is None:
        if status != 405:
            fail("%s: a method the path does not list answered %d" % (name, status))
        return doc["components"]["responses"]["MethodNotAllowed"], name
    resp = op["responses"].get(str(status), op["responses"].get("default"))
    if resp is None:
        fail("%s: status %d is not declared (%s)" % (name, status, ", ".join(op["responses"])))
    return deref(doc, resp), name


def media(resp, ctype, name):
    content = resp.get("content", {})
    mt = ctype.split(";")[0].strip().lower()
    if not content:
        return None, mt
    if mt not in content:
        fail("%s: answered %s, the document says %s" % (name, mt or "(no type)", ", ".join(content)))
    return content[mt], mt


def check_answers(d, manifest):
    checked = skipped = 0
    samples = {}
    with open(manifest, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    for rec in records:
        method, url, status = rec["method"], rec["url"], int(rec["status"])
        with open(rec["body"], "rb") as f:
            raw = f.read()
        if rec.get("pending") and status == 404 and b"not-found" in raw and d.template(url):
            print("openapi_check: %s %s: not served yet (404), skipped" % (method, url))
            skipped += 1
            continue
        resp, name = response_for(d, method, url, status)
        mtype, mt = media(resp, rec.get("type", ""), name)
        if mtype is not None and mt.startswith("application/json"):
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError as e:
                fail("%s: the body is not JSON: %s" % (name, e))
            errs = d.errors(mtype["schema"], body)
            if errs:
                e = errs[0]
                fail("%s (%s): %s at /%s" % (name, url, e.message, "/".join(map(str, e.absolute_path))))
            samples.setdefault(name, (mtype["schema"], body))
        elif mtype is not None and mt == "text/event-stream":
            event = mtype.get("x-event-data")
            if event is None:
                fail("%s: the document does not say what an event's data is" % name)
            lines = [l[5:] for l in raw.decode("utf-8", "replace").splitlines() if l.startswith("data:")]
            if not lines:
                fail("%s: no event was read" % name)
            for line in lines:
                data = json.loads(line)
                errs = d.errors(event, data)
                if errs:
                    fail("%s: an event: %s at /%s" % (name, errs[0].message, "/".join(map(str, errs[0].absolute_path))))
                samples.setdefault(name + " event", (event, data))
        if rec.get("request") and 200 <= status < 300:
            tmpl = d.template(url)
            rb = d.doc["paths"][tmpl][method.lower()].get("requestBody")
            if rb is not None and "application/json" in deref(d.doc, rb).get("content", {}):
                with open(rec["request"], encoding="utf-8") as f:
                    sent = json.load(f)
                errs = d.errors(deref(d.doc, rb)["content"]["application/json"]["schema"], sent)
                if errs:
                    fail("%s: the request body the test sent: %s" % (name, errs[0].message))
        checked += 1
    return checked, skipped, samples


def must_refuse(d, samples, name, what, change):
    if name not in samples:
        fail("no answer of %s was recorded to alter" % name)
    schema, body = samples[name]
    altered = json.loads(json.dumps(body))
    change(altered)
    if not d.errors(schema, altered):
        fail("the schema of %s accepts %s" % (name, what))
    return 1


def check_refusals(d, samples):
    show = "GET /nodes/{node}/cases/{id} 200"
    lst = "GET /nodes/{node}/cases 200"
    health = "GET /nodes/{node}/health 200"
    n = 0
    n += must_refuse(d, samples, show, "an undeclared key", lambda b: b.update(colour="red"))
    n += must_refuse(d, samples, show, "a version as a string", lambda b: b.update(version=str(b["version"])))
    n += must_refuse(d, samples, show, "a case without late", lambda b: b.pop("late"))
    n += must_refuse(d, samples, show, "an unknown state", lambda b: b.update(state="flying"))
    n += must_refuse(d, samples, show, "a history entry with an undeclared key", lambda b: b["history"][0].update(x=1))
    n += must_refuse(d, samples, show, "a time that is not ISO 8601", lambda b: b.update(created="yesterday"))
    n += must_refuse(d, samples, show, "counters with a fraction", lambda b: b["counters"].update(urges=1.5))
    n += must_refuse(d, samples, lst, "a list without matched", lambda b: b.pop("matched"))
    n += must_refuse(d, samples, lst, "a listed case with an undeclared key", lambda b: b["cases"][0].update(x=1))
    n += must_refuse(d, samples, health, "health with an undeclared key", lambda b: b.update(uptime=1))
    n += must_refuse(d, samples, health, "health with cases as a string", lambda b: b.update(cases="7"))
    n += must_refuse(d, samples, "GET /nodes/{node}/events 200 event", "an event with an undeclared key",
                     lambda b: b.update(colour="red"))
    n += must_refuse(d, samples, "GET /nodes/{node}/events 200 event", "an event whose seq is a string",
                     lambda b: b.update(seq="1"))
    n += must_refuse(d, samples, "POST /nodes/{node}/attachments 201", "a photo's size as a string",
                     lambda b: b.update(size="68"))
    n += must_refuse(d, samples, "GET /nodes/{node}/cases/{id} 200", "a part's state unknown to the enum",
                     lambda b: b.update(parts=[{"id": "x", "holder": "", "state": "lost", "signed": False,
                                                "finished": False, "overdue": False}]))
    n += must_refuse(d, samples, "GET /nodes/{node}/cases 401", "a 401 with another code",
                     lambda b: b["error"].update(code="forbidden"))
    return n


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "document":
        d = Doc(sys.argv[2])
        n = check_document(d)
        print("openapi_check: the document is OpenAPI %s: %d paths, %d operations, %d schemas, every $ref resolves"
              % (d.doc["openapi"], len(d.doc["paths"]), n, len(d.doc["components"]["schemas"])))
    elif len(sys.argv) == 4 and sys.argv[1] in ("answers", "answers-only"):
        d = Doc(sys.argv[2])
        check_document(d)
        checked, skipped, samples = check_answers(d, sys.argv[3])
        refused = check_refusals(d, samples) if sys.argv[1] == "answers" else 0
        print("openapi_check: %d answers valid against the document (%d distinct path/method/status), %d on "
              "routes not served yet; %d altered answers refused" % (checked, len(samples), skipped, refused))
    elif len(sys.argv) == 4 and sys.argv[1] == "recorded":
        d = Doc(sys.argv[2])
        check_document(d)
        checked, skipped, samples = check_answers(d, sys.argv[3])
        print("openapi_check: %d answers valid against the document (%d distinct path/method/status)"
              % (checked, len(samples)))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
