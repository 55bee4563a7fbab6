#!/usr/bin/python3
"""stix_validate.py BUNDLE... - validate STIX 2.1 bundles against the OASIS
STIX 2.1 JSON schemas (tests/data/stix2.1-schemas, draft 2020-12), every
object against the schema of its type.  Exit 0 when all are valid; prints
each error otherwise.  Also checks what the schemas cannot: every *_ref(s)
points to an object in the bundle, and file objects have the deterministic
UUIDv5 id the specification requires."""
import json
import os
import sys
import uuid

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "data", "stix2.1-schemas", "schemas")
STIX_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def load_store():
    store, by_path = {}, {}
    for d, _, files in os.walk(SCHEMAS):
        for f in files:
            if f.endswith(".json"):
                p = os.path.join(d, f)
                s = json.load(open(p))
                store[s["$id"]] = s
                by_path[os.path.relpath(p, SCHEMAS)] = s
    return store, by_path


def schema_for(t, by_path):
    for sub in ("sdos", "sros", "observables", "common"):
        s = by_path.get(f"{sub}/{t}.json")
        if s:
            return s
    return None


def refs_of(o):
    for k, v in o.items():
        if k.endswith("_ref") and isinstance(v, str):
            yield v
        elif k.endswith("_refs") and isinstance(v, list):
            yield from v


def main():
    store, by_path = load_store()
    bad = 0
    for path in sys.argv[1:]:
        b = json.load(open(path))
        errs = []
        V = jsonschema.Draft202012Validator
        res = jsonschema.RefResolver.from_schema(by_path["common/bundle.json"], store=store)
        errs += [f"bundle: {e.message}" for e in V(by_path["common/bundle.json"], resolver=res).iter_errors(b)]
        ids = {o.get("id") for o in b.get("objects", [])}
        for o in b.get("objects", []):
            s = schema_for(o.get("type"), by_path)
            if s is None:
                errs.append(f"{o.get('id')}: no schema for type {o.get('type')}")
                continue
            res = jsonschema.RefResolver.from_schema(s, store=store)
            for e in V(s, resolver=res).iter_errors(o):
                errs.append(f"{o.get('id')}: {e.message} (at {list(e.absolute_path)})")
            for r in refs_of(o):
                if r not in ids and not r.startswith("marking-definition--"):
                    errs.append(f"{o.get('id')}: reference {r} is not in the bundle")
            if o.get("type") == "file":
                contrib = {k: o[k] for k in ("hashes", "name", "extensions", "parent_directory_ref") if k in o}
                canon = json.dumps(contrib, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                want = f"file--{uuid.uuid5(STIX_NS, canon)}"
                if o["id"] != want:
                    errs.append(f"{o['id']}: not the deterministic id {want}")
        for e in errs:
            print(f"{path}: {e}")
        bad += bool(errs)
        if not errs:
            print(f"{path}: valid ({len(b.get('objects', []))} objects)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
