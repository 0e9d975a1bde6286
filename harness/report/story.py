"""The object's story (KASAN's "allocated by / freed by", across processes): for the first violation, every
flight-recorder event of every worker that touched the object it names, or the serials that lived in it, in
time order. Built from the report alone, so `report` can tell it for a saved run too; as data (its text is
harness.report.text.story_lines)."""

from __future__ import annotations

# flight-recorder events that carry a cpuset offset in `b`, and what `a` is for them
_ON_OBJECT = {"create": "serial", "destroy": "serial", "call-rcu": "serial", "free": "serial", "read": "serial",
              "violation": "kind"}


def object_story(report: dict) -> list[dict]:
    """Events about the first violation's object: its lives (create .. free), the attaches of those serials,
    the reads of it, the read that raised the violation (event "violating-read", at its start) and the
    violation; each with time (one clock: the run's), worker, role and CPU, in time order."""
    first = report.get("first_violation")
    if not first or not first.get("object"):
        return []
    obj = first["object"]
    events = report.get("flight_recorder", [])
    serials = {e["a"] for e in events if e["event"] in ("create", "destroy", "free", "read") and e["b"] == obj}
    roles = {w["worker"]: w["role"] for w in report.get("workers", [])}
    story: list[dict] = []
    for e in events:
        if e["event"] in _ON_OBJECT and e["b"] == obj or e["event"] == "attach" and e["b"] in serials:
            if e["event"] == "violation":   # the engine's own clock for it, not the reader's chunk time
                e = {**e, "t_s": first["t_s"]}
            last = story[-1] if story else None
            if last and all(last[k] == e[k] for k in ("event", "worker", "a", "b")):
                last["times"] += 1   # a run of the same read: one line
                continue
            story.append({**e, "role": roles.get(e["worker"], "?"), "times": 1})
    if first.get("read_began_s") is not None:   # the read that raised it, where every other read is: its start
        story.append({"t_s": first["read_began_s"], "dur_s": first["t_s"] - first["read_began_s"],
                      "worker": first["worker"], "cpu": first["cpu"], "event": "violating-read",
                      "a": first["serial"] if read_as_serial(first) else None, "b": obj,
                      "role": roles.get(first["worker"], "?"), "times": 1})
    return sorted(story, key=lambda e: e["t_s"])


# kinds whose record's serial is the one the reader's snapshot holds (the others carry the engine's, or none)
SNAPSHOT_KINDS = ("torn-read", "identity", "wrong-type", "gp-too-short")


def read_as_serial(first: dict) -> bool:
    """Whether the first violation's serial is what a reader read (raised inside a read, on what it read)."""
    return first.get("read_began_s") is not None and first["kind"] in SNAPSHOT_KINDS

