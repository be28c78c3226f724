"""The harness<->worker protocol (sandbox/inside/protocol.py): one definition, strict decoding."""
from __future__ import annotations

import json

import pytest

from sandbox.inside import protocol
from sandbox.inside.protocol import ProtocolError
from sandbox.records import Limits, RunStatus, TestKind as Kind, TestRun as Run, Verdict


def test_public_records_are_the_protocols_own():
    import sandbox

    assert sandbox.RunStatus is protocol.RunStatus and sandbox.Limits is protocol.Limits
    assert sandbox.TestRun is protocol.TestRun is Run and sandbox.TestKind is protocol.TestKind is Kind


def test_every_run_status_but_ok_is_a_verdict_of_the_same_value():
    statuses = {s.value for s in RunStatus} - {RunStatus.OK.value}
    assert statuses == {v.value for v in Verdict} - {Verdict.PASSED.value, Verdict.WRONG_ANSWER.value}


def _messages():
    limits = Limits(timeout_s=1.5, memory_mb=64)
    return [
        protocol.WorkerConfig(limits, ("/usr/lib/python3",), ("/usr",), 2_000_000, 1 << 26, True, None, "/tmp/x"),
        protocol.Ready({"network": "isolated", "rlimits": {"cpu_s": 3, "core": 0}, "workers": [1, 2]}),
        protocol.SetupFailed("no mount namespace"),
        protocol.ServerConfig(limits, ("/a",), 5, 5, True, True, True, True, {"k": "v"}, ""),
        protocol.Piece("print(1)", Kind.CALL, ("[1]", '["\ud800"]'), "f", True, 3, True),
        protocol.Results((Run(0, RunStatus.OK, "1\n", 0.01), Run(1, RunStatus.TIMEOUT, detail="x")), True),
        protocol.Results((Run(3, RunStatus.TIMEOUT, wall_s=2.0, cpu_s=1.0),), False, stopped=True),
        protocol.WorkerFailed("boom"),
        protocol.TestRecord(protocol.RecordKind.OK, 0, "", "[1, 2]", False),
    ]


@pytest.mark.parametrize("message", _messages(), ids=lambda m: type(m).__name__)
def test_every_message_survives_a_round_trip_as_ascii(message):
    body = protocol.encode(message)
    body.decode("ascii")
    assert protocol.decode(body, type(message)) == message


FORGED = [
    b"", b"null", b"[]", b"42", b'"results"', b"\xff\xfe", "{\"message\": \"results\"}".encode(),
    b'{"message": "results", "version": %d}',  # fields missing
    b'{"message": "results", "version": %d, "runs": [], "wrapped": true, "extra": 1}',  # unknown field
    b'{"message": "results", "version": 0, "runs": [], "wrapped": true}',  # other version
    b'{"message": "results", "version": %d, "runs": {}, "wrapped": true}',
    b'{"message": "results", "version": %d, "runs": [[0, "ok", "", 0.0, ""]], "wrapped": true}',  # a row
    b'{"message": "results", "version": %d, "runs": [{"index": 0, "status": "passed"}], "wrapped": true}',
    b'{"message": "results", "version": %d, "runs": [{"index": true, "status": "ok"}], "wrapped": true}',
    b'{"message": "results", "version": %d, "runs": [{"index": 0, "status": "ok", "wall_s": NaN}], "wrapped": true}',
    b'{"message": "results", "version": %d, "runs": [{"index": 0, "status": "ok", "wall_s": 1e999}], "wrapped": 1}',
    b'{"message": "results", "version": %d, "runs": [{"index": ' + b"9" * 5000 + b', "status": "ok"}], "wrapped": true}',
    b'{"message": "results", "version": %d, "runs": ' + b"[" * 100000 + b"]" * 100000 + b', "wrapped": true}',
    b'{"message": "ready", "version": %d, "isolation": {}}',  # valid, but not what was expected
    b'{"message": "piece", "version": %d, "program": "", "kind": "stdio", "inputs": [], "fn_name": null,'
    b' "resume": false, "more": 0}',
    b'{"message": "worker_config", "version": %d, "limits": {"timeout_s": -1, "memory_mb": 64, "max_output_bytes": 1,'
    b' "cpu_s": null, "max_file_bytes": 1, "max_processes": 1}}',
    b'{"message": "results", "version": %d, "runs": [{"index": 0, "status": "ok", "wall_s": 1e999}], "wrapped": true}',
    b'{"message": "results", "version": %d, "runs": [], "wrapped": true, "stopped": 1}',
]
FORGED = [body.replace(b"%d", str(protocol.PROTOCOL_VERSION).encode()) for body in FORGED]  # the current version


@pytest.mark.parametrize("body", FORGED)
def test_a_malformed_or_unexpected_message_of_any_shape_is_refused_cleanly(body):
    with pytest.raises(ProtocolError):
        protocol.decode(body, protocol.Results, protocol.WorkerFailed, max_bytes=200_000)


def test_decoding_is_bounded_in_size_before_any_parsing():
    body = protocol.encode(protocol.WorkerFailed("x" * 1000))
    with pytest.raises(ProtocolError, match="more than 100"):
        protocol.decode(body, protocol.WorkerFailed, max_bytes=100)


def test_json_depth_skips_brackets_inside_strings():
    assert protocol.json_depth('[["[[[[", {"a": "]]]"}]]') == 3
    assert protocol.json_depth("1") == 0
    assert protocol.json_depth("[" * 5000 + "]" * 5000) == 5000


def test_lone_surrogates_become_visible_escapes():
    assert protocol.clean_text("a\ud800b") == "a\\ud800b"
    json.dumps(protocol.clean_text("\udcff"), ensure_ascii=False).encode("utf-8")


def test_the_common_records_decode_at_once_to_what_strict_decoding_gives():
    assert len(protocol.COMMON_RECORDS) == 2
    for data, record in protocol.COMMON_RECORDS.items():
        assert protocol.decode_record(data) == protocol.decode(data, protocol.TestRecord) == record
        assert record.kind is protocol.RecordKind.OK and record.exit_code == 0
    exception = protocol.TestRecord(protocol.RecordKind.EXCEPTION, 1, "ValueError: x")
    assert protocol.decode_record(protocol.encode(exception)) == exception
    for forged in (b'{"message":"test_record","version":1,"kind":"ok","exit_code":0,"extra":1}', b"\xff", b"[]"):
        with pytest.raises(ProtocolError):
            protocol.decode_record(forged)
