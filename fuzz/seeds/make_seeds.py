#!/usr/bin/env python3
"""Writes the hand-written seeds of fuzz/corpus/calendar_due/ (see ../README.md for the layout).

Each seed is `<calendar JSON> 0x00 <tail>`; the tail is little-endian:
start secs i64, start nanos u32, minutes i64, business days i64, second instant secs i64,
second instant nanos u32, flags u8.  Run from anywhere: python3 fuzz/seeds/make_seeds.py
"""
import json
import os
import struct
from datetime import datetime, timezone

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "calendar_due")
WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def at(text):
    """Unix seconds of an RFC 3339 instant."""
    return int(datetime.fromisoformat(text).astimezone(timezone.utc).timestamp())


def cal(tz, hours, holidays=(), closed=(), open_on_holidays=False):
    return {"timezone": tz, "hours": hours, "holidays": list(holidays),
            "closed": list(closed), "open_on_holidays": open_on_holidays}


def days(intervals, which=WEEK):
    return {d: (list(intervals) if d in which else []) for d in WEEK}


def seed(name, calendar, start, minutes=0, bd=1, other=None, start_nanos=0, other_nanos=0,
         flags=0):
    other = start if other is None else other
    tail = struct.pack("<qIqqqIB", start, start_nanos, minutes, bd, other, other_nanos, flags)
    body = json.dumps(calendar, separators=(",", ":"), ensure_ascii=False).encode()
    with open(os.path.join(OUT, "seed-" + name), "wb") as f:
        f.write(body + b"\0" + tail)


os.makedirs(OUT, exist_ok=True)
WEEKDAYS = WEEK[:5]
oslo_l1 = cal("Europe/Oslo", days(["08:00-20:00"], WEEKDAYS), ["NO"])
seed("oslo-level1-friday-evening", oslo_l1, at("2026-03-27T19:30:00+01:00"), 120, 7,
     other=at("2026-03-30T09:00:00+02:00"))
seed("oslo-mon-fri-no-holidays-easter", cal("Europe/Oslo", days(["08:00-20:00"], WEEKDAYS)),
     at("2026-04-01T18:00:00+02:00"), 24 * 60, 7, other=at("2026-04-07T10:00:00+02:00"))
seed("oslo-level3-open-on-holidays", cal("Europe/Oslo", days(["08:00-23:00"]), ["NO"],
     open_on_holidays=True), at("2026-03-28T22:30:00+01:00"), 240, 3,
     other=at("2026-05-17T12:00:00+02:00"))
seed("oslo-basic-7bd-christmas", cal("Europe/Oslo", days(["09:00-15:00"], WEEKDAYS), ["NO"],
     closed=["2026-12-24", "2026-12-31"]), at("2026-12-22T14:59:59+01:00"), 6 * 60, 7,
     other=at("2027-01-04T09:00:00+01:00"))
cph = days(["07:30-16:00"], WEEK[:4])
cph["fri"] = ["07:30-15:30"]
seed("copenhagen-office-dk-store-bededag", cal("Europe/Copenhagen", cph, ["DK"],
     closed=["2023-12-24", "2023-06-05"]), at("2023-05-04T15:45:00+02:00"), 4 * 60, 7,
     other=at("2023-05-08T08:00:00+02:00"), start_nanos=500_000_000)
seed("split-day-utc", cal("UTC", days(["08:00-12:00", "12:00-13:00", "13:30-16:00",
     "18:00-20:00"], WEEKDAYS)), at("2026-06-10T12:59:00Z"), 180, 2,
     other=at("2026-06-11T19:00:00Z"))
seed("oslo-24x7-dst-spring", cal("Europe/Oslo", days(["00:00-24:00"]), ["NO"],
     open_on_holidays=True), at("2026-03-28T12:00:00+01:00"), 24 * 60, 1,
     other=at("2026-03-29T13:00:00+02:00"))
seed("oslo-24x7-dst-autumn-closed-day", cal("Europe/Oslo", days(["00:00-24:00"]),
     closed=["2026-10-26"]), at("2026-10-25T00:00:00+02:00"), 25 * 60, 2,
     other=at("2026-10-27T00:00:00+01:00"))
seed("oslo-interval-in-fold", cal("Europe/Oslo", days(["01:00-04:00"])),
     at("2026-10-25T00:30:00Z"), 200, 1, other=at("2026-10-25T03:00:00Z"))
seed("oslo-interval-in-gap", cal("Europe/Oslo", days(["02:00-02:30", "02:30-03:00",
     "03:00-03:30"], ["sun"])), at("2026-03-29T00:59:59Z"), 30, 1,
     other=at("2026-04-05T01:15:00Z"))
seed("new-york-dst", cal("America/New_York", days(["01:30-02:30", "09:00-17:00"]),
     closed=["2026-03-09"]), at("2026-03-08T06:59:00Z"), 61, 5,
     other=at("2026-11-01T06:00:00Z"))
seed("lord-howe-half-hour", cal("Australia/Lord_Howe", days(["01:45-02:45", "23:30-24:00"])),
     at("2026-10-03T15:00:00Z"), 45, 3, other=at("2027-04-04T14:45:00Z"))
seed("apia-skipped-day", cal("Pacific/Apia", days(["00:00-24:00"], ["thu", "fri", "sat"])),
     at("2011-12-29T12:00:00-10:00"), 36 * 60, 2, other=at("2011-12-31T12:00:00+14:00"))
seed("empty-calendar", cal("UTC", {}), at("2026-01-01T00:00:00Z"), 60, 1)
seed("no-hours-only-holidays", cal("Europe/Copenhagen", days([], []), ["DK", "NO", "DK"],
     closed=["2026-01-01"], open_on_holidays=True), at("2026-01-01T00:00:00Z"), 0, 1)
seed("range-edges-1900", cal("UTC", days(["00:00-24:00"])), -2_208_988_800, 100_000_000, 100_000,
     other=7_289_654_399)
seed("range-edges-2200", cal("Asia/Tokyo", days(["09:00-17:00"], WEEKDAYS)), 7_289_654_399,
     100_000_000, 150_000, other=-2_208_988_801)
seed("negative-amounts", oslo_l1, at("2026-03-27T19:30:00+01:00"), -1, -1)
seed("raw-extremes", oslo_l1, 2**42, 2**63 - 1, -(2**63), other=-(2**42),
     start_nanos=999_999_999, other_nanos=1_500_000_000, flags=0x0F)
