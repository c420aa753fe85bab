"""Every message that crosses a stream, the bus or the HTTP API, taken from
a running intake, validated against schemas/ with a real validator
(python3-jsonschema, draft 2020-12)."""
import glob
import json
import os
import unittest

import jsonschema

from harness import SRC, Nanocat, Stack, call, offset, request, wait_until

SCHEMAS = os.path.join(SRC, "schemas")


def load_schemas():
    store = {}
    for path in glob.glob(os.path.join(SCHEMAS, "*.schema.json")):
        with open(path) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        store[os.path.basename(path)[:-len(".schema.json")]] = schema
    return store


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schemas = load_schemas()
        by_id = {s["$id"]: s for s in cls.schemas.values()}
        cls.resolver_store = by_id

    def validator(self, name):
        schema = self.schemas[name]
        resolver = jsonschema.RefResolver(schema["$id"], schema,
                                          store=self.resolver_store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)

    def check(self, name, doc):
        errors = list(self.validator(name).iter_errors(doc))
        self.assertFalse(errors, f"{name}: {[e.message for e in errors]}"
                         f" in {json.dumps(doc)[:400]}")

    def test_schemas_catch_what_they_should(self):
        # a validator that accepts everything would make the rest vacuous
        bad = call("theft", 31.2, 121.4, priorty=1)
        self.assertTrue(list(self.validator("call.request").iter_errors(bad)))
        bad = call("theft", 0, 0)
        self.assertTrue(list(self.validator("call.request").iter_errors(bad)))
        self.assertTrue(list(self.validator("incident.created").iter_errors(
            {"type": "incident.created", "v": 1, "ts": 1, "src": "intake"})))

    def test_plans_file(self):
        with open(os.path.join(SRC, "deploy/plans.json")) as f:
            self.check("plans", json.load(f))

    def test_real_messages_from_a_running_intake(self):
        s = Stack()
        cat = Nanocat(s.events)
        try:
            self._drive(s, cat)
        finally:
            cat.stop()
            s.close()

    def _drive(self, s, cat):
        sent, replies, errors = [], [], []

        def post(body, headers=None):
            sent.append(body)
            st, _, res = s.post_call(body, headers)
            (replies if st < 300 else errors).append(res)
            return res

        # wait until the bus subscription is live (PUB/SUB joins lazily);
        # a new place each time so each call creates an incident
        n = [0]

        def probe():
            n[0] += 1
            post(call("noise", 31.10 + n[0] * 0.01, 121.10))
            return cat.frames()
        wait_until(probe, what="first bus frame", interval=0.2)
        first = post(call("fight", 31.2, 121.4, call_id="s-1",
                          description="fight at the gate"))
        post(call("fight", 31.2, 121.4, call_id="s-1",
                  description="fight at the gate"))            # replay
        lat, lon = offset(31.2, 121.4, north_m=30)
        post(call("weapon", lat, lon, colour="red"))           # merge+up
        post({"type": "theft", "location": {"lat": 31.3, "lon": 121.5}})
        post(call("alarm", 31.4, 121.6, source="alarm", priority=2))
        post(call("noise", 31.2, 121.4, call_id="s-1"))        # 409
        st, _, res = request(s.intake_port, "POST", "/v1/calls", "{x",
                             {"Content-Type": "application/json"})
        errors.append(res)
        post(call("ufo"))                                      # 422
        errors.append(request(s.intake_port, "GET", "/nowhere")[2])
        errors.append(s.get_incident("I-20000101-NOPE00")[2])

        for body in sent:
            if body.get("type") in ("ufo",):
                continue
            self.check("call.request", body)
        for r in replies:
            self.check("call.accepted", r)
        self.assertGreaterEqual(len(errors), 5)
        for e in errors:
            self.check("error", e)

        st, _, inc = s.get_incident(first["incident_id"])
        self.assertEqual(st, 200)
        self.check("incident", inc)
        self.assertGreaterEqual(len(inc["calls"]), 2)
        self.check("health", request(s.intake_port, "GET", "/healthz")[2])

        stream = s.stream()
        kinds = {m["type"] for m in stream}
        self.assertEqual(kinds, {"incident.created", "incident.upgraded"})
        for m in stream:
            self.check(m["type"], m)

        frames = wait_until(lambda: [f for f in cat.frames()
                                     if f.startswith("call.merged ")]
                            and cat.frames(), what="call.merged frame")
        topics = set()
        for f in frames:
            topic, payload = f.split(" ", 1)
            msg = json.loads(payload)
            self.assertEqual(topic, msg["type"])
            topics.add(topic)
            self.check(topic, msg)
        self.assertEqual(topics, {"incident.created", "call.merged"})


if __name__ == "__main__":
    unittest.main()
