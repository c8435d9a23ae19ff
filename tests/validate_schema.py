#!/usr/bin/env python3
"""Independent validation of the exported JSON Schemas (contracts/schema/)
with Python's jsonschema package, Draft 2020-12, format checking off.

usage: validate_schema.py SCHEMA_DIR SEED_DIR [BODIES.ndjson ...]
                          [--require-every-dialect]

1. Every schema file is a valid Draft 2020-12 schema, and payloads/ holds
   exactly one file per event the body schema names.
2. Self test: hand-made variants of a seed body that the model rejects must
   fail the body schema, and dialect variants and assumed-event payloads
   that it accepts must pass (so this script can fail at all).
3. Every seed example: its payload validates against its event's payload
   schema, and the body against the body schema. One exception, a typo of
   the Chup docs kept on purpose in the seeds: 02-appointment.json has a
   63-character, non-hex signature. That body must fail the body schema at
   `signature` and nowhere else (so the exception cannot hide anything).
4. Every line of every NDJSON file validates against the body schema.

Prints counts, exits 1 at the first failure naming the file (and line).
Nothing but the standard library and jsonschema.
"""

import argparse
import copy
import json
import sys
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

# Seed files whose body breaks the body schema only because of a typo of
# the Chup docs page, with the one field it may fail at.
KNOWN_DOC_TYPOS = {
    "02-appointment.json": (
        "signature",
        "the docs show a 63-character signature with a non-hex 's' "
        "(see tests/fixtures/seed/README.md)",
    ),
}

# The dialects the model says a mixed generator must produce
# (model::Dialect::GENERATED), named as the schema titles them.
GENERATED_DIALECTS = [
    "state:integer", "state:object", "notes:array", "notes:collection",
    "ids:number", "ids:string", "time:hh:mm:ss", "time:hh:mm",
    "note-dates:unix", "note-dates:null", "phone:10-digits",
    "phone:11-digits", "phone:12-digits", "text:non-ascii",
]

ID_FIELDS = {
    "id", "appointment_id", "registered_client_id", "service_id", "staff_id",
    "scheduled_by_staff_id", "user_id", "client_id", "model_id",
}
TIME_FIELDS = {"appointment_time", "time", "original_time"}
PHONE_FIELDS = {"registered_client_phone", "client_phone", "phone"}


def fail(message):
    sys.stdout.flush()
    print(f"validate_schema: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def load_json(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot read JSON: {e}")


def describe(error):
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {where}: {error.message[:300]}"


def dialects(data, seen):
    """Records the dialect of every field of a payload's data."""
    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                visit(k, v)
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and any(ord(c) > 127 for c in value):
            seen["text:non-ascii"] += 1

    def visit(k, v):
        if k == "state":
            seen["state:object" if isinstance(v, dict) else "state:integer"] += 1
        elif k == "notes":
            seen["notes:collection" if isinstance(v, dict) else "notes:array"] += 1
        elif k in ID_FIELDS and v is not None and not isinstance(v, (dict, list)):
            seen["ids:string" if isinstance(v, str) else "ids:number"] += 1
        elif k in TIME_FIELDS and isinstance(v, str):
            seen["time:hh:mm" if len(v) == 5 else "time:hh:mm:ss"] += 1
        elif k in ("created_date", "updated_date"):
            seen["note-dates:null" if v is None else "note-dates:unix"] += 1
        elif k in PHONE_FIELDS and isinstance(v, str):
            seen[f"phone:{len(v)}-digits"] += 1

    walk(data)


class Schemas:
    def __init__(self, schema_dir):
        schema_dir = Path(schema_dir)
        body_path = schema_dir / "body.schema.json"
        self.body = load_json(body_path)
        check_schema(body_path, self.body)
        self.body_validator = Draft202012Validator(self.body)
        self.events = []
        for variant in self.body["properties"]["payload"]["oneOf"]:
            name = variant["$ref"].removeprefix("#/$defs/")
            self.events.append(self.body["$defs"][name]["properties"]["event"]["const"])
        self.payload_validators = {}
        expected = {f"{e}.schema.json" for e in self.events}
        present = {p.name for p in (schema_dir / "payloads").glob("*")}
        if present != expected:
            fail(
                f"{schema_dir / 'payloads'}: expected one file per event; "
                f"missing {sorted(expected - present)}, unexpected {sorted(present - expected)}"
            )
        for event in self.events:
            path = schema_dir / "payloads" / f"{event}.schema.json"
            schema = load_json(path)
            check_schema(path, schema)
            if schema["properties"]["event"]["const"] != event:
                fail(f"{path}: event const is not {event}")
            self.payload_validators[event] = Draft202012Validator(schema)
        self.assumed = [e for e in self.events
                        if load_json(schema_dir / "payloads" / f"{e}.schema.json").get("x-chup-assumed")]

    def body_error(self, body):
        """None when the body is valid, else the clearest reason."""
        errors = list(self.body_validator.iter_errors(body))
        if not errors:
            return None
        # oneOf over seventeen payloads reports badly; when the event is
        # known, say what its own payload schema objects to.
        payload = body.get("payload") if isinstance(body, dict) else None
        event = payload.get("event") if isinstance(payload, dict) else None
        if event in self.payload_validators:
            inner = best_match(self.payload_validators[event].iter_errors(payload))
            if inner is not None:
                return f"payload ({event}) {describe(inner)}"
        return describe(best_match(errors))


def check_schema(path, schema):
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as e:  # SchemaError: report and stop
        fail(f"{path}: not a valid Draft 2020-12 schema: {e}")
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        fail(f"{path}: $schema is not draft 2020-12")


def self_test(schemas, seed_dir):
    base = load_json(Path(seed_dir) / "04-serving.json")

    def variant(change):
        body = copy.deepcopy(base)
        change(body["payload"]["data"], body)
        return body

    def setp(path, value):
        def change(data, body):
            target = body if path[0] == "$" else data
            keys = path[1:] if path[0] == "$" else path
            for k in keys[:-1]:
                target = target[k]
            if value is DELETE:
                del target[keys[-1]]
            else:
                target[keys[-1]] = value
        return change

    must_fail = {
        "state as a string": setp(["state"], "4"),
        "state object without value": setp(["state"], {"name": "SERVING"}),
        "state object with a blank name": setp(["state"], {"name": " ", "value": 4}),
        "state object with an extra key": setp(["state"], {"name": "SERVING", "value": 4, "x": 1}),
        "state_name not naming a documented state": setp(["state_name"], "Served"),
        "notes collection without escapeWhenCastingToString": setp(["notes"], {"items": []}),
        "note with a negative created_date": setp(["notes", 0, "created_date"], -1),
        "note without content": setp(["notes", 0, "content"], DELETE),
        "negative id": setp(["service_id"], -1),
        "fractional id": setp(["service_id"], 1.5),
        "non-numeric string id": setp(["service_id"], "abc"),
        "hour 24": setp(["appointment_time"], "24:00"),
        "time with one-digit seconds": setp(["appointment_time"], "20:50:0"),
        "date with month 13": setp(["appointment_date"], "2024-13-01"),
        "appointment_id null while date and time are set": setp(["appointment_id"], None),
        "phone with a plus": setp(["registered_client_phone"], "+60123456789"),
        "phone of 7 digits": setp(["registered_client_phone"], "6012345"),
        "timestamp in UTC Z form": setp(["$", "payload", "timestamp"], "2024-01-18T12:50:27Z"),
        "timestamp without offset": setp(["created_at"], "2024-01-18T20:48:00"),
        "missing service_name": setp(["service_name"], DELETE),
        "visit data under client_created": setp(["$", "payload", "event"], "client_created"),
        "event outside the catalogue": setp(["$", "payload", "event"], "patient_created"),
        "upper-case signature": setp(["$", "signature"], "A" * 64),
        "63-character signature": setp(["$", "signature"], "a" * 63),
        "missing signature": setp(["$", "signature"], DELETE),
        "missing payload": setp(["$", "payload"], DELETE),
    }
    must_pass = {
        "the seed as is": setp(["id"], 19738),
        "state object": setp(["state"], {"name": "SERVING", "value": 4}),
        "undocumented state, any name": lambda d, b: (d.__setitem__("state", 6),
                                                      d.__setitem__("state_name", "Paused")),
        "notes collection": lambda d, b: d.__setitem__(
            "notes", {"items": d["notes"], "escapeWhenCastingToString": False}),
        "string ids": lambda d, b: (d.__setitem__("service_id", "206"),
                                    d["notes"][0].__setitem__("model_id", "19738")),
        "time without seconds": setp(["appointment_time"], "20:50"),
        "note dates null": lambda d, b: d["notes"][0].update(created_date=None, updated_date=None),
        "walk-in": lambda d, b: d.update(appointment_id=None, appointment_date=None,
                                         appointment_time=None),
        "walk-in with the appointment fields absent": lambda d, b: [
            d.pop(k) for k in ("appointment_id", "appointment_date", "appointment_time")],
        "unknown extra fields": lambda d, b: (d.__setitem__("queue_no", "A12"),
                                              b["payload"].__setitem__("clinic", 7)),
        "timestamp with a fraction": setp(["created_at"], "2024-01-18T20:48:00.123456+08:00"),
    }
    stamp = "2024-01-18T20:44:18+08:00"
    records = {
        "client": {"id": 3364, "name": "Jhon Doe", "phone": "60123456789",
                   "email": None, "created_at": stamp, "updated_at": stamp},
        "service": {"id": "254", "name": "Treatment Room",
                    "staffs": [{"id": 263, "name": "Treatment Room staff"}],
                    "created_at": stamp, "updated_at": stamp},
        "staff": {"id": 263, "name": "Treatment Room staff",
                  "services": [{"id": 254, "name": "Treatment Room"}],
                  "created_at": stamp, "updated_at": stamp},
    }
    appointment = load_json(Path(seed_dir) / "09-reschedule.json")["payload"]["data"]
    records["appointment"] = appointment
    records["live_queue"] = base["payload"]["data"]
    assumed_ok = 0
    for event in schemas.assumed:
        kind = next(k for k in records if event.startswith(k))
        body = {"payload": {"event": event, "timestamp": stamp, "data": records[kind]},
                "signature": "0" * 64}
        reason = schemas.body_error(body)
        if reason:
            fail(f"self test: a minimal {event} body was rejected: {reason}")
        assumed_ok += 1
    for name, change in must_fail.items():
        if schemas.body_error(variant(change)) is None:
            fail(f"self test: the body schema accepts a body with {name}")
    for name, change in must_pass.items():
        reason = schemas.body_error(variant(change))
        if reason:
            fail(f"self test: the body schema rejects a body with {name}: {reason}")
    print(f"self test: {len(must_fail)} invalid variants rejected, "
          f"{len(must_pass)} dialect variants and {assumed_ok} assumed-event bodies accepted")
    return len(must_fail) + len(must_pass) + assumed_ok


DELETE = object()


def check_seeds(schemas, seed_dir):
    files = sorted(Path(seed_dir).glob("*.json"))
    if not files:
        fail(f"{seed_dir}: no seed examples")
    events = Counter()
    excused = 0
    for path in files:
        body = load_json(path)
        payload = body.get("payload", {})
        event = payload.get("event")
        if event not in schemas.payload_validators:
            fail(f"{path}: event {event!r} has no payload schema")
        error = best_match(schemas.payload_validators[event].iter_errors(payload))
        if error is not None:
            fail(f"{path}: payload fails payloads/{event}.schema.json {describe(error)}")
        errors = list(schemas.body_validator.iter_errors(body))
        if path.name in KNOWN_DOC_TYPOS:
            field, why = KNOWN_DOC_TYPOS[path.name]
            where = {tuple(e.absolute_path) for e in errors}
            if where != {(field,)}:
                fail(f"{path}: expected the body to fail at {field} only ({why}), "
                     f"it fails at {sorted(where) or 'nothing'}")
            print(f"{path.name}: payload valid; body fails at {field} only, as expected: {why}")
            excused += 1
        elif errors:
            fail(f"{path}: body fails body.schema.json {describe(best_match(errors))}")
        events[event] += 1
    print(f"seed examples: {len(files)} payloads valid, {len(files) - excused} bodies valid, "
          f"{excused} body excused for a docs typo "
          f"({', '.join(f'{e} {n}' for e, n in sorted(events.items()))})")
    return len(files)


def check_bodies(schemas, path, seen_dialects):
    events = Counter()
    seen = Counter()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                body = json.loads(line)
            except ValueError as e:
                fail(f"{path}:{number}: not JSON: {e}")
            reason = schemas.body_error(body)
            if reason:
                fail(f"{path}:{number}: body fails body.schema.json {reason}")
            events[body["payload"]["event"]] += 1
            dialects(body["payload"]["data"], seen)
    total = sum(events.values())
    if total == 0:
        fail(f"{path}: no bodies")
    print(f"{path}: {total} bodies valid, {len(events)} events "
          f"({', '.join(f'{e} {n}' for e, n in sorted(events.items()))})")
    print(f"{path}: dialects seen: {', '.join(f'{d} {n}' for d, n in sorted(seen.items()))}")
    seen_dialects.update(seen)
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("schema_dir")
    parser.add_argument("seed_dir")
    parser.add_argument("bodies", nargs="*", help="NDJSON files of webhook bodies")
    parser.add_argument("--require-every-dialect", action="store_true",
                        help="fail unless the bodies together show every generated dialect")
    args = parser.parse_intermixed_args()
    print(f"validate_schema: jsonschema {version('jsonschema')}, Draft 2020-12, format checking off")
    schemas = Schemas(args.schema_dir)
    print(f"{args.schema_dir}: body schema and {len(schemas.payload_validators)} payload schemas "
          f"are valid Draft 2020-12 schemas ({len(schemas.assumed)} payloads marked assumed)")
    passed = self_test(schemas, args.seed_dir)
    passed += check_seeds(schemas, args.seed_dir)
    seen = Counter()
    for path in args.bodies:
        passed += check_bodies(schemas, path, seen)
    if args.require_every_dialect:
        missing = [d for d in GENERATED_DIALECTS if not seen[d]]
        if missing:
            fail(f"the generated bodies never show these dialects: {', '.join(missing)}")
        print(f"every generated dialect seen: {', '.join(GENERATED_DIALECTS)}")
    print(f"validate_schema: {passed} passed, 0 failed")


if __name__ == "__main__":
    main()
