"""Versioned registry from pyarrow: versions side by side, pinning, rollback, persistence across
restart, and a store that stays consistent when the server is killed (-9) in a register."""

import base64
import hashlib
import json
import random
import signal
import threading
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest

from conftest import command, do_action, exchange, path, register


def int64_table(rows):
    return pa.table({"x": pa.array(range(rows), pa.int64())})


def with_custom_section(wasm, payload):
    """The same module with a custom section appended: other bytes, same behaviour."""
    def uleb(n):
        out = bytearray()
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)
    name = b"wf-test"
    body = uleb(len(name)) + name + payload
    return wasm + b"\x00" + uleb(len(body)) + body


def test_versions_pinning_and_rollback(client, example_wasm):
    v1 = register(client, "calc", example_wasm["add_one"])
    v2 = register(client, "calc", example_wasm["upper"])
    assert (v1["version"], v2["version"]) == (1, 2)
    assert v2["default_version"] == 2 and v2["replaced"] is True
    assert [v["version"] for v in v2["versions"]] == [1, 2]

    # The default (2) is upper; version 1 is still reachable by path and by command.
    assert exchange(client, path("calc", "upper"), pa.table({"s": ["ab"]})).column("s").to_pylist() == ["AB"]
    table = int64_table(5)
    out = exchange(client, path("calc@1", "add_one"), table)
    assert out.column("x").equals(pc.add(table.column("x"), 1))
    out = exchange(client, command("calc", "add_one", version=1, sha256=v1["sha256"]), table)
    assert out.column("x").equals(pc.add(table.column("x"), 1))
    with pytest.raises(pa.ArrowKeyError, match="has no function 'add_one'"):
        exchange(client, path("calc", "add_one"), table)

    # A pin that does not match the version is refused, naming both hashes.
    with pytest.raises(pa.ArrowInvalid, match="sha256 pin does not match: module 'calc' version 2"):
        exchange(client, command("calc", "upper", sha256=v1["sha256"]), pa.table({"s": ["a"]}))
    info = client.get_flight_info(command("calc", "add_one", version=1))
    assert json.loads(info.app_metadata)["version"] == 1

    # Rollback: version 1 becomes the default again.
    rolled = do_action(client, "set-default", {"name": "calc", "version": 1})
    assert rolled["default_version"] == 1 and rolled["sha256"] == v1["sha256"]
    out = exchange(client, path("calc", "add_one"), table)
    assert out.column("x").equals(pc.add(table.column("x"), 1))
    listed = [m for m in do_action(client, "list") if m["name"] == "calc"][0]
    assert listed["version"] == 1 and listed["default_version"] == 1
    assert do_action(client, "describe", {"name": "calc@2"})["sha256"] == v2["sha256"]

    assert do_action(client, "unregister", {"name": "calc@2"})["versions"] == [2]
    assert [v["version"] for v in do_action(client, "describe", {"name": "calc"})["versions"]] == [1]
    assert do_action(client, "unregister", {"name": "calc"})["versions"] == [1]
    with pytest.raises(pa.ArrowKeyError, match="no module named 'calc'"):
        do_action(client, "describe", {"name": "calc"})


def test_versions_and_default_survive_a_restart(start_server, tmp_path, example_wasm):
    data_dir = tmp_path / "data"
    first = start_server(data_dir=data_dir)
    with flight.connect(first.location) as c:
        register(c, "kept", example_wasm["add_one"])
        register(c, "kept", example_wasm["upper"])
        do_action(c, "set-default", {"name": "kept", "version": 1})
        before = do_action(c, "list")
    first.stop()
    meta = json.loads((data_dir / "modules" / "kept" / "2.json").read_text())
    assert meta["sha256"] == hashlib.sha256(example_wasm["upper"]).hexdigest()
    assert meta["size_bytes"] == len(example_wasm["upper"])

    second = start_server(data_dir=data_dir)
    with flight.connect(second.location) as c:
        after = do_action(c, "list")
        assert [m["versions"] for m in after] == [m["versions"] for m in before]
        assert after[0]["default_version"] == 1
        table = int64_table(10)
        assert exchange(c, path("kept", "add_one"), table).column("x").equals(pc.add(table.column("x"), 1))
    second.stop()


def check_store(module_dir):
    """Every version on disk is complete (metadata + bytes with its sha256); returns them."""
    versions = {}
    for f in sorted(module_dir.iterdir()):
        assert not f.name.endswith(".tmp"), f"a temporary file survived the restart: {f}"
        if f.suffix == ".wasm":
            assert (module_dir / (f.stem + ".json")).exists(), f"{f} has no metadata"
        if f.suffix == ".json" and f.name != "default.json":
            meta = json.loads(f.read_text())
            wasm = (module_dir / (f.stem + ".wasm")).read_bytes()
            assert hashlib.sha256(wasm).hexdigest() == meta["sha256"], f"{f}: sha256 mismatch"
            assert len(wasm) == meta["size_bytes"]
            versions[int(f.stem)] = meta["sha256"]
    return versions


def wait_for_a_write(module_dir, deadline):
    """Returns once a temporary file or a .wasm without metadata shows up (a write under way)."""
    while time.monotonic() < deadline:
        if module_dir.exists():
            names = {f.name for f in module_dir.iterdir()}
            if any(n.endswith(".tmp") for n in names) or any(
                    n.endswith(".wasm") and n[:-5] + ".json" not in names for n in names):
                return True
        time.sleep(0.0005)
    return False


def test_kill_9_in_the_middle_of_a_register_leaves_a_consistent_store(
        start_server, tmp_path, example_wasm):
    data_dir = tmp_path / "data"
    module_dir = data_dir / "modules" / "big"
    base = example_wasm["add_one"]
    rng = random.Random(9)
    committed = {}  # version -> sha256 of every register that returned
    outcomes = []
    register_seconds = None
    for iteration in range(8):
        server = start_server(data_dir=data_dir)
        wasm = with_custom_section(base, rng.randbytes(1024) * (24 * 1024))  # ~24 MiB
        body = json.dumps({"name": "big", "wasm": base64.b64encode(wasm).decode()}).encode()
        result = {}

        def send():
            try:
                with flight.connect(server.location) as c:
                    t0 = time.monotonic()
                    result["r"] = json.loads(
                        next(iter(c.do_action(flight.Action("register", body)))).body.to_pybytes())
                    result["seconds"] = time.monotonic() - t0
            except Exception as e:  # noqa: BLE001 - the kill ends the call in any way
                result["error"] = e

        t = threading.Thread(target=send)
        t.start()
        if iteration == 0:
            how = "none"  # the first register completes: it measures how long one takes
            t.join()
            register_seconds = result["seconds"]
        elif iteration % 2:
            how = "at the first write"  # killed while a file of the register is being written
            assert wait_for_a_write(module_dir, time.monotonic() + 60), "no write was seen"
        else:
            how = "at a random time"
            time.sleep(rng.uniform(0, 1.2 * register_seconds))
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        t.join(timeout=60)
        if "r" in result:
            committed[result["r"]["version"]] = result["r"]["sha256"]
        sha = hashlib.sha256(wasm).hexdigest()

        # Restart: the store is consistent, nothing that completed is lost, and the server
        # serves exactly the versions on disk.
        restarted = start_server(data_dir=data_dir)
        on_disk = check_store(module_dir) if module_dir.exists() else {}
        for v, s in committed.items():
            assert on_disk.get(v) == s, f"a completed register (version {v}) was lost"
        with flight.connect(restarted.location) as c:
            if on_disk:
                described = do_action(c, "describe", {"name": "big"})
                assert {v["version"]: v["sha256"] for v in described["versions"]} == on_disk
                table = int64_table(3)
                out = exchange(c, path("big", "add_one"), table)
                assert out.column("x").equals(pc.add(table.column("x"), 1))
            else:
                with pytest.raises(pa.ArrowKeyError):
                    do_action(c, "describe", {"name": "big"})
        committed.update(on_disk)
        outcomes.append((how, "kept" if sha in on_disk.values() else "absent"))
        restarted.process.send_signal(signal.SIGKILL)
        restarted.process.wait()
    print(f"\nregister of ~24 MiB took {register_seconds:.2f} s; kill -9 outcomes: {outcomes}")
    assert outcomes[0] == ("none", "kept")
