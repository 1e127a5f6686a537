#!/usr/bin/env python3
"""Verify the registrant corpus against the invariants promised in README.md.

Python 3 standard library only. Reads the committed files (it shares no code
with generate.py on purpose) and exits non-zero listing every violation.
"""

import json
import os
import re
import sys
import unicodedata
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
LATEST_DATE = date(2025, 12, 31)
GENDERS = {"Male", "Female", "Other"}
ID_TYPES = {"National ID", "Passport", "Tax ID"}
NATIONAL_ID = re.compile(r"^[0-9]{10}$")
GROUP_KINDS = {"Household", "Family"}
MEMBER_KINDS = {"Head", "Spouse", "Child"}
BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
IBAN_LENGTHS = {"DE": 22, "FR": 27, "GB": 22, "NL": 18, "ES": 24, "PL": 28, "SN": 28, "EG": 29}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

ID_KEYS = {"id_type", "value", "expiry_date", "status"}
PHONE_KEYS = {"phone_no", "date_collected"}
BANK_KEYS = {"bank_name", "bic", "acc_number", "acc_holder_name"}
PERSON_KEYS = {"name", "given_name", "family_name", "addl_name", "gender", "birthdate", "birth_place",
               "registration_date", "email", "address", "ids", "phone_numbers", "bank_ids"}
MEMBER_KEYS = PERSON_KEYS | {"kind"}
GROUP_KEYS = {"name", "kind", "is_partial_group", "registration_date", "ids", "phone_numbers", "bank_ids",
              "members"}

errors = []


def fail(where, msg):
    errors.append("%s: %s" % (where, msg))


def sanitize(acc):
    return re.sub(r"\W+", "", acc).upper()


def bank_key(name):
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def iban_ok(s):
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def parse_date(where, s):
    if not isinstance(s, str) or not DATE.match(s):
        fail(where, "not a YYYY-MM-DD string: %r" % (s,))
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        fail(where, "impossible date %r" % s)
        return None


def walk_strings(where, v):
    if v is None:
        fail(where, "explicit null in a valid file")
    elif isinstance(v, str):
        if CONTROL.search(v):
            fail(where, "control character")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk_strings("%s/%d" % (where, i), x)
    elif isinstance(v, dict):
        for k, x in v.items():
            walk_strings("%s/%s" % (where, k), x)


class Corpus:
    def __init__(self, banks):
        self.ids_seen = {}       # (type, value) -> where
        self.values_seen = {}    # value -> where
        self.accounts = {}       # sanitized -> [partner where]
        self.banks = banks
        self.by_bic = {b["bic"]: b for b in banks if "bic" in b}
        self.by_name = {}
        for b in banks:
            k = bank_key(b["name"])
            if k in self.by_name:
                fail("banks.json", "two canonical banks normalize alike: %r" % k)
            self.by_name[k] = b
        self.first_seen = {}     # bank name -> (where, item)
        self.variants_seen = {b["name"]: set() for b in banks}
        self.aliases_seen = {b["name"]: set() for b in banks}
        self.refs = {b["name"]: 0 for b in banks}
        self.partners = {}       # where -> summary for the manifest comparison
        self.phones = set()      # sanitized phone numbers

    def resolve(self, where, item):
        name, bic = item.get("bank_name"), item.get("bic")
        if bic is not None:
            if not BIC.match(bic):
                fail(where, "bad BIC shape %r" % bic)
                return None
            b = self.by_bic.get(bic)
            if b is None:
                fail(where, "unknown BIC %r" % bic)
                return None
            if name is not None:
                if bank_key(name) == bank_key(b["name"]):
                    self.variants_seen[b["name"]].add(name)
                elif name in b.get("bic_only_aliases", []):
                    self.aliases_seen[b["name"]].add(name)
                else:
                    fail(where, "name %r disagrees with BIC %s" % (name, bic))
            return b
        if name is None:
            fail(where, "neither bank_name nor bic")
            return None
        b = self.by_name.get(bank_key(name))
        if b is None:
            fail(where, "bank name %r matches no canonical bank" % name)
            return None
        self.variants_seen[b["name"]].add(name)
        return b

    def registrant(self, where, d, allowed, is_group=False):
        for k in d:
            if k not in allowed:
                fail(where, "unexpected key %r" % k)
        birth = None
        if not is_group:
            for k in ("given_name", "family_name", "gender", "birthdate", "ids"):
                if k not in d:
                    fail(where, "missing %s" % k)
            for k in ("name", "given_name", "family_name", "addl_name"):
                if k in d:
                    if not isinstance(d[k], str) or not d[k].strip():
                        fail(where + "/" + k, "empty or not a string")
                    elif unicodedata.normalize("NFC", d[k]) != d[k]:
                        fail(where + "/" + k, "person name not NFC")
            if d.get("gender") not in GENDERS:
                fail(where + "/gender", "unknown gender %r" % d.get("gender"))
            birth = parse_date(where + "/birthdate", d.get("birthdate"))
            if birth and birth > LATEST_DATE:
                fail(where + "/birthdate", "in the future")
        if "registration_date" in d:
            reg = parse_date(where + "/registration_date", d["registration_date"])
            if reg and reg > LATEST_DATE:
                fail(where, "registration_date after %s" % LATEST_DATE)
            if reg and birth and reg < birth:
                fail(where, "registration_date before birthdate")
        ids = d.get("ids")
        keys = []
        if not isinstance(ids, list) or not ids:
            fail(where + "/ids", "needs at least one id")
            ids = []
        types = set()
        for i, it in enumerate(ids):
            w = "%s/ids/%d" % (where, i)
            if set(it) - ID_KEYS:
                fail(w, "unexpected keys %s" % (set(it) - ID_KEYS))
            t, v = it.get("id_type"), it.get("value")
            if t not in ID_TYPES:
                fail(w, "unknown id_type %r" % t)
            if t in types:
                fail(w, "second id of type %s on one registrant" % t)
            types.add(t)
            if not isinstance(v, str) or not v:
                fail(w, "empty value")
                continue
            if t == "National ID" and not NATIONAL_ID.match(v):
                fail(w, "National ID %r fails ^[0-9]{10}$" % v)
            if "expiry_date" in it:
                parse_date(w + "/expiry_date", it["expiry_date"])
            if "status" in it and it["status"] not in ("valid", "invalid"):
                fail(w, "bad status")
            if (t, v) in self.ids_seen:
                fail(w, "id %s=%s also at %s" % (t, v, self.ids_seen[(t, v)]))
            if v in self.values_seen:
                fail(w, "value %s also used at %s" % (v, self.values_seen[v]))
            self.ids_seen[(t, v)] = w
            self.values_seen[v] = w
            keys.append({"id_type": t, "value": v})
        for i, ph in enumerate(d.get("phone_numbers", [])):
            w = "%s/phone_numbers/%d" % (where, i)
            if set(ph) - PHONE_KEYS or not isinstance(ph.get("phone_no"), str):
                fail(w, "bad phone item")
            if not re.match(r"^\+\d[\d ]+$", ph.get("phone_no", "")):
                fail(w, "phone not in +CC form")
            self.phones.add(sanitize(ph.get("phone_no", "")))
            if "date_collected" in ph:
                dc = parse_date(w + "/date_collected", ph["date_collected"])
                if dc and dc > LATEST_DATE:
                    fail(w, "date_collected in the future")
        accounts, own = [], set()
        for i, it in enumerate(d.get("bank_ids", [])):
            w = "%s/bank_ids/%d" % (where, i)
            if set(it) - BANK_KEYS:
                fail(w, "unexpected keys %s" % (set(it) - BANK_KEYS))
            acc = it.get("acc_number")
            if not isinstance(acc, str) or not sanitize(acc):
                fail(w, "acc_number must be a non-empty string")
                continue
            if not re.match(r"^[0-9A-Za-z +\-./]+$", acc):
                fail(w, "acc_number uses characters outside [0-9A-Za-z +-./]")
            s = sanitize(acc)
            if s in own:
                fail(w, "two accounts of one registrant sanitize to %s" % s)
            own.add(s)
            b = self.resolve(w, it)
            if b is None:
                continue
            self.refs[b["name"]] += 1
            if b["name"] not in self.first_seen:
                self.first_seen[b["name"]] = (w, it)
            if b["country"] in IBAN_LENGTHS and b["kind"] == "bank":
                if s[:2] != b["country"] or len(s) != IBAN_LENGTHS[b["country"]] or not iban_ok(s):
                    fail(w, "bad IBAN %r for %s" % (acc, b["name"]))
            self.accounts.setdefault(s, []).append(where)
            accounts.append((acc, s, b["name"]))
        self.partners[where] = (keys, accounts)


def main():
    banks = json.load(open(os.path.join(HERE, "banks.json"), encoding="utf-8"))
    manifest = json.load(open(os.path.join(HERE, "manifest.json"), encoding="utf-8"))
    c = Corpus(banks)
    files = [m["file"] for m in manifest["files"]]
    on_disk = sorted("individuals/" + f for f in os.listdir(os.path.join(HERE, "individuals"))) + \
        sorted("groups/" + f for f in os.listdir(os.path.join(HERE, "groups")))
    if files != on_disk:
        fail("manifest.json", "file list differs from disk (or is not in corpus order)")
    n_ind = sum(f.startswith("individuals/") for f in on_disk)
    n_grp = len(on_disk) - n_ind
    want = ["individuals/%03d.json" % i for i in range(1, n_ind + 1)] + \
        ["groups/%03d.json" % i for i in range(1, n_grp + 1)]
    if on_disk != want:
        fail("corpus", "file names are not NNN.json numbered from 001 without gaps")
    group_names = set()
    if n_ind < 150 or n_grp < 50:
        fail("corpus", "only %d individuals and %d groups" % (n_ind, n_grp))

    scripts = {"Arabic": r"[\u0600-\u06ff]", "Ethiopic": r"[\u1200-\u137f]", "Devanagari": r"[\u0900-\u097f]",
               "Cyrillic": r"[\u0400-\u04ff]", "Han": r"[\u4e00-\u9fff]", "Bengali": r"[\u0980-\u09ff]",
               "Thai": r"[\u0e00-\u0e7f]", "Latin accents": r"[À-ɏḀ-ỿ]", "apostrophe": r"['’]",
               "hyphen": r"\w-\w"}
    script_hits = {k: 0 for k in scripts}
    for rel in on_disk:
        raw = open(os.path.join(HERE, rel), "rb").read()
        try:
            d = json.loads(raw.decode("utf-8"))
        except ValueError as e:
            fail(rel, "not JSON: %s" % e)
            continue
        walk_strings(rel + "#", d)
        if rel.startswith("individuals/"):
            c.registrant(rel + "#", d, PERSON_KEYS)
            people = [d]
        else:
            c.registrant(rel + "#", d, GROUP_KEYS, is_group=True)
            if d.get("kind") not in GROUP_KINDS:
                fail(rel, "group kind %r" % d.get("kind"))
            if not isinstance(d.get("is_partial_group"), bool):
                fail(rel, "is_partial_group must be a bool")
            members = d.get("members", [])
            if not 1 <= len(members) <= 5:
                fail(rel, "%d members" % len(members))
            if d.get("name") in group_names:
                fail(rel, "group name %r used twice" % d.get("name"))
            group_names.add(d.get("name"))
            heads = 0
            for i, m in enumerate(members):
                w = "%s#/members/%d" % (rel, i)
                c.registrant(w, m, MEMBER_KEYS)
                if "name" not in m or "bank_ids" not in m:
                    fail(w, "members always carry name and bank_ids")
                kinds = [k.get("name") for k in m.get("kind", [])]
                if len(kinds) > 1 or any(k not in MEMBER_KINDS for k in kinds):
                    fail(w, "membership kind %r" % kinds)
                heads += kinds == ["Head"]
                if kinds == ["Head"] and i != 0:
                    fail(w, "the head is not member 0")
            if heads > 1:
                fail(rel, "more than one Head")
            people = members
        for p in people:
            text = " ".join(p.get(k, "") for k in ("name", "given_name", "family_name", "addl_name"))
            for k, rx in scripts.items():
                if re.search(rx, text):
                    script_hits[k] += 1
    for k, n in script_hits.items():
        if n < 3:
            fail("corpus", "only %d registrants with %s names" % (n, k))

    # Accounts: unique across the corpus except the declared shares.
    declared = {s["sanitized"] for s in manifest["shared_accounts"]}
    for s, holders in c.accounts.items():
        if len(holders) > 1 and s not in declared:
            fail("corpus", "account %s on %s but not declared shared" % (s, holders))
    for s in declared:
        if len(c.accounts.get(s, [])) != 2:
            fail("manifest.json", "shared account %s held %d times" % (s, len(c.accounts.get(s, []))))
    if len(declared) < 5:
        fail("manifest.json", "too few shared accounts")

    # Banks: every variant listed is used and vice versa; first use is canonical.
    for b in banks:
        n = b["name"]
        if set(b["variants"]) != c.variants_seen[n]:
            fail("banks.json", "%s variants differ from corpus: %r" % (n, set(b["variants"]) ^ c.variants_seen[n]))
        if set(b.get("bic_only_aliases", [])) != c.aliases_seen[n]:
            fail("banks.json", "%s aliases differ from corpus" % n)
        if c.refs[n] != b["references"] or c.refs[n] == 0:
            fail("banks.json", "%s referenced %d times, says %d" % (n, c.refs[n], b["references"]))
        where, item = c.first_seen.get(n, (None, {}))
        if item.get("bank_name") != n or item.get("bic") != b.get("bic"):
            fail("banks.json", "%s first used at %s without its canonical name/BIC" % (n, where))
        if where is None or not where.startswith("individuals/") or where != b["first_reference"]:
            fail("banks.json", "%s first_reference %s, corpus says %s" % (n, b["first_reference"], where))
    nfd_variants = [v for b in banks for v in b["variants"] if unicodedata.normalize("NFC", v) != v]
    if len(nfd_variants) < 4:
        fail("banks.json", "too few NFD variants")
    if manifest["totals"]["distinct_banks"] != len(banks):
        fail("manifest.json", "distinct_banks")

    # Manifest agrees with the files.
    n_accounts = 0
    for m in manifest["files"]:
        rel = m["file"]
        entries = [(rel + "#", m)] + [("%s#/members/%d" % (rel, i), x) for i, x in enumerate(m.get("members", []))]
        for where, e in entries:
            keys, accounts = c.partners.get(where, (None, None))
            if keys is None:
                fail(where, "in manifest, not in corpus")
                continue
            if e["keys"] != keys:
                fail(where, "manifest keys differ")
            if e["account_count"] != len(accounts) or len(e["accounts"]) != len(accounts):
                fail(where, "manifest account_count differs")
            if e["sanitized_accounts"] != [s for _, s, _ in accounts]:
                fail(where, "manifest sanitized_accounts differ")
            if [a["bank"] for a in e["accounts"]] != [b for _, _, b in accounts]:
                fail(where, "manifest banks differ")
            if [a["acc_number"] for a in e["accounts"]] != [a for a, _, _ in accounts]:
                fail(where, "manifest acc_number differs")
            n_accounts += len(accounts)
    t = manifest["totals"]
    if t["bank_accounts"] != n_accounts or t["partners"] != len(c.partners):
        fail("manifest.json", "totals wrong: %r vs %d accounts, %d partners" % (t, n_accounts, len(c.partners)))

    check_invalid(c)
    if errors:
        print("\n".join(errors))
        print("%d problem(s)" % len(errors))
        sys.exit(1)
    print("ok: %d files, %d partners, %d accounts (%d distinct numbers), %d banks, %d ids" % (
        len(on_disk), len(c.partners), n_accounts, len(c.accounts), len(banks), len(c.ids_seen)))


def check_invalid(c):
    d = os.path.join(HERE, "invalid")
    expected = json.load(open(os.path.join(d, "expected.json"), encoding="utf-8"))
    listed = {e["file"] for e in expected}
    present = {f for f in os.listdir(d) if f.endswith(".json") and f != "expected.json"}
    if listed != present:
        fail("invalid/expected.json", "lists %s, disk has %s" % (sorted(listed ^ present), ""))
    for e in expected:
        w = "invalid/" + e["file"]
        if e["status"] not in (400, 422):
            fail(w, "status %r" % e["status"])
        if not isinstance(e["pointer"], str) or (e["pointer"] and not e["pointer"].startswith("/")):
            fail(w, "pointer %r is not a JSON pointer" % e["pointer"])
        text = open(os.path.join(d, e["file"]), encoding="utf-8").read()
        try:
            body = json.loads(text)
        except ValueError:
            if e["status"] != 400:
                fail(w, "unparseable but expected %d" % e["status"])
            continue
        if e["status"] == 400:
            fail(w, "parses but expected 400")
        # The pointer must name something that exists in the payload (or its parent).
        node, ok = body, True
        for part in e["pointer"].split("/")[1:]:
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                ok = False
        if not ok:
            fail(w, "pointer %s does not resolve" % e["pointer"])
        # Keys never collide with the valid corpus, so a wrongly accepted file cannot break it.
        people = [body] + list(body.get("members", [])) if isinstance(body, dict) else []
        for p in people:
            ids = p.get("ids") if isinstance(p, dict) else None
            ids = ids if isinstance(ids, list) else [ids] if isinstance(ids, dict) else []
            for it in ids:
                if it.get("value") in c.values_seen:
                    fail(w, "id value %s collides with the valid corpus" % it.get("value"))
            for it in p.get("phone_numbers") or []:
                if sanitize(it.get("phone_no", "")) in c.phones:
                    fail(w, "phone number collides with the valid corpus")
            for it in p.get("bank_ids") or []:
                acc = it.get("acc_number")
                if isinstance(acc, str) and sanitize(acc) in c.accounts:
                    fail(w, "account collides with the valid corpus")
                if it.get("bank_name") is not None and bank_key(it["bank_name"]) in c.by_name:
                    b = c.by_name[bank_key(it["bank_name"])]
                    if "bic" in b or it["bank_name"] != b["name"]:
                        fail(w, "invalid files may only name BIC-less banks, canonically")


if __name__ == "__main__":
    main()
