"""The OCDS 1.1.5 merge rules that compile a process's releases, and the offline schema checks."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.disclosure import merge, schemas


def release(day: int, **fields: Any) -> dict[str, Any]:
    return {
        "ocid": "ocds-test-1",
        "id": f"r{day}",
        "date": f"2025-01-{day:02d}T00:00:00+08:00",
        "tag": ["tender"],
        "initiationType": "tender",
        **fields,
    }


def test_later_values_win_and_release_metadata_is_replaced() -> None:
    compiled = merge.compile_releases(
        [
            release(2, tender={"id": "T", "title": "new", "status": "active"}),
            release(1, tender={"id": "T", "title": "old", "description": "kept"}),
        ]
    )
    assert compiled["tender"] == {"id": "T", "title": "new", "description": "kept", "status": "active"}
    assert compiled["tag"] == ["compiled"]
    assert compiled["date"] == "2025-01-02T00:00:00+08:00"
    assert compiled["id"] == "ocds-test-1-2025-01-02T00:00:00+08:00"


def test_releases_are_ordered_by_instant_not_by_text() -> None:
    # 08:00 in Beijing is midnight UTC, one hour after 23:00 UTC the day before.
    early = {**release(1, tender={"id": "T", "title": "first"}), "date": "2025-01-01T23:00:00+00:00"}
    late = {**release(2, tender={"id": "T", "title": "second"}), "date": "2025-01-02T08:00:00+08:00"}
    assert merge.compile_releases([late, early])["tender"]["title"] == "second"


def test_null_removes_a_field() -> None:
    compiled = merge.compile_releases(
        [release(1, tender={"id": "T", "description": "typo"}), release(2, tender={"id": "T", "description": None})]
    )
    assert compiled["tender"] == {"id": "T"}


def test_objects_in_arrays_merge_by_id_and_new_ids_are_appended() -> None:
    compiled = merge.compile_releases(
        [
            release(1, awards=[{"id": "a1", "status": "pending", "title": "A"}, {"id": 2, "status": "pending"}]),
            release(2, awards=[{"id": "2", "status": "active"}, {"id": "a3", "status": "pending"}]),
        ]
    )
    assert compiled["awards"] == [
        {"id": "a1", "status": "pending", "title": "A"},
        {"id": "2", "status": "active"},  # ids compare as text: 2 and "2" are one award (the later id wins)
        {"id": "a3", "status": "pending"},
    ]


def test_one_release_repeating_an_id_keeps_its_last_item() -> None:
    compiled = merge.compile_releases([release(1, awards=[{"id": "a", "title": "x"}, {"id": "a", "status": "active"}])])
    assert compiled["awards"] == [{"id": "a", "status": "active"}]


def test_arrays_of_strings_and_whole_list_fields_are_replaced() -> None:
    party = {"id": "P", "roles": ["tenderer"], "additionalIdentifiers": [{"scheme": "A", "id": "1"}]}
    later = {"id": "P", "roles": ["supplier"], "additionalIdentifiers": [{"scheme": "B", "id": "2"}]}
    compiled = merge.compile_releases([release(1, parties=[party]), release(2, parties=[later])])
    assert compiled["parties"] == [later]  # roles: strings; additionalIdentifiers: wholeListMerge


def test_items_without_ids_are_a_whole_list() -> None:
    compiled = merge.compile_releases(
        [
            release(1, tender={"id": "T", "amendments": [{"rationale": "a"}, {"rationale": "b"}]}),
            release(2, tender={"id": "T", "amendments": [{"rationale": "c"}]}),
        ]
    )
    assert compiled["tender"]["amendments"] == [{"rationale": "c"}]


def test_nested_arrays_merge_by_id_at_every_level() -> None:
    first = {"id": "C", "awardID": "A", "implementation": {"transactions": [{"id": "t1", "date": "x"}]}}
    second = {"id": "C", "awardID": "A", "implementation": {"transactions": [{"id": "t2", "date": "y"}]}}
    compiled = merge.compile_releases([release(1, contracts=[first]), release(2, contracts=[second])])
    assert [t["id"] for t in compiled["contracts"][0]["implementation"]["transactions"]] == ["t1", "t2"]


def test_releases_of_two_processes_are_not_compiled_together() -> None:
    with pytest.raises(ValueError, match="more than one ocid"):
        merge.compile_releases([release(1), {**release(2), "ocid": "ocds-test-2"}])


def test_merge_rules_come_from_the_extended_schema() -> None:
    rules = schemas.merge_rules()
    assert rules[("id",)] == {"omitWhenMerged"}
    assert rules[("parties", "additionalIdentifiers")] == {"wholeListMerge"}
    assert rules[("bids", "details", "tenderers", "additionalIdentifiers")] == {"wholeListMerge"}


def test_a_compiled_release_validates() -> None:
    compiled = merge.compile_releases([release(1, tender={"id": "T"}), release(2, tender={"id": "T"})])
    assert schemas.release_errors(compiled) == []


@pytest.mark.parametrize(
    ("date", "valid"),
    [
        ("2025-01-01T00:00:00+08:00", True),
        ("2025-01-01T00:00:00Z", True),
        ("2025-01-01T00:00:00", False),  # a time without its zone
        ("2025-02-30T00:00:00+08:00", False),
        ("2025-01-01", False),
    ],
)
def test_dates_need_their_time_zone(date: str, valid: bool) -> None:
    errors = schemas.release_errors({**release(1), "date": date})
    assert (errors == []) is valid


def test_bids_follow_the_bids_extension() -> None:
    good = release(1, bids={"details": [{"id": "b", "status": "valid"}]})
    bad = release(1, bids={"details": [{"id": "b", "status": "shortlisted"}]})
    assert schemas.release_errors(good) == []
    assert [e.path for e in schemas.release_errors(bad)] == ["bids.details[0].status"]


def test_bid_statistics_use_the_codes_of_the_extensions_codelist() -> None:
    """`measure` is an open codelist, so the schema alone lets anything through: the vendored bidStatistics.csv
    of the extension decides, in a single release, a package and a record's compiled release alike."""
    assert {"bids", "validBids", "bidders", "lowestValidBidValue"} <= schemas.codelists()["bidStatistics.csv"]
    assert schemas.codelists()["bidStatus.csv"] == {"invited", "pending", "valid", "disqualified", "withdrawn"}
    good = release(1, bids={"statistics": [{"id": "1", "measure": "validBids", "value": 2}]})
    bad = release(1, bids={"statistics": [{"id": "1", "measure": "aggregateScore", "value": 85.5}]})
    assert schemas.release_errors(good) == []
    [error] = schemas.release_errors(bad)
    assert error.path == "bids.statistics[0].measure" and "bidStatistics.csv" in error.message
    head = {"uri": "https://example.org/p", "publishedDate": "2025-01-01T00:00:00+08:00", "version": "1.1"}
    package = {**head, "publisher": {"name": "p"}, "releases": [bad]}
    assert [e.path for e in schemas.release_package_errors(package)] == ["releases[0].bids.statistics[0].measure"]
    record = {
        "ocid": bad["ocid"],
        "releases": [{"url": "https://example.org/p#r1", "date": bad["date"], "tag": ["tender"]}],
    }
    assert [e.path for e in schemas.record_errors({**record, "compiledRelease": bad})] == [
        "compiledRelease.bids.statistics[0].measure"
    ]


def test_every_bid_status_the_export_writes_is_a_code() -> None:
    from grassroots.disclosure import ocds

    assert set(ocds.BID_STATUS.values()) <= schemas.codelists()["bidStatus.csv"]


@pytest.mark.parametrize(
    "document",
    [
        release(1),
        {**release(1), "date": "2025-02-30T00:00:00+08:00", "tag": ["bogus"]},
        {**release(1), "date": "2025-01-01T00:00:00"},
        release(
            1, bids={"details": [{"id": "b", "status": "shortlisted", "value": {"amount": "1", "currency": "CNY"}}]}
        ),
        release(1, awards=[{"id": "a", "status": "active", "value": {"amount": 1, "currency": "RMB"}}]),
        {**release(1), "parties": [{"id": "p", "roles": ["buyer"], "details": {"url": "not a uri"}}]},
        {"id": "no ocid", "tag": "tender"},
    ],
)
def test_the_fast_validator_reports_what_jsonschema_reports(document: dict[str, Any]) -> None:
    """jsonschema-rs validates the exports; it finds the same places wrong as Python's jsonschema."""
    fast = schemas._validator(schemas.RELEASE_SCHEMA_URL)
    slow = schemas._validator(schemas.RELEASE_SCHEMA_URL, fast=False)
    assert type(fast) is not type(slow)
    assert sorted(e.path for e in schemas._errors(fast, document, 50)) == sorted(
        e.path for e in schemas._errors(slow, document, 50)
    )
