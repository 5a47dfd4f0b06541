#!/usr/bin/env python3
"""Benchmarks of one taasd against simulated switches (switch-sim), over loopback only.

  bench-sim.py sessions COUNT...            sessions held, memory, echoes, and pushing a change to all
  bench-sim.py latency NODES CREATIONS      POST tap flow → ACTIVE with NODES connected bridges
  bench-sim.py scale NODES VMS SIZE...      one change's cost with SIZE tap flows installed (scripts/bench-scale.sh)
  bench-sim.py preload NODES VMS SIZE       the bulk preload alone: SIZE tap flows into a fresh taasd, to ACTIVE
  bench-sim.py store NODES CREATIONS        POST tap flow → ACTIVE with the policy in SQLite, then in PostgreSQL (scripts/bench-store.sh)
  bench-sim.py floor COUNT OUT:BACK,...      the transport alone under a push to COUNT connections (transport-floor)
  bench-sim.py idle COUNT...                taasd's CPU with COUNT idle switches connected, default keepalive and 60 s

Runs the release builds in .build/release (scripts/bench-sessions.sh and bench-latency-sim.sh
build them, with transport-floor; TAAS_BIN=DIR runs others, TAAS_BENCH_LOG=info makes taasd's log verbose,
TAAS_BENCH_PERF=DIR records `perf record -g` of taasd and switch-sim during a sessions push). Each run
has its own directory, ports and processes, and removes them at the end, also when interrupted.
"""
import http.client, json, os, queue, random, resource, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request

BIN = os.environ.get("TAAS_BIN") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release")
SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
import taas_api  # noqa: E402


def progress(text):
    print(f"  … {text}", file=sys.stderr, flush=True)


def cpu_seconds(pid):
    """User and system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid, field="VmRSS"):
    """Resident memory in KiB; `field` RssAnon or RssFile for its private or file-backed part."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def stop(procs):
    """Ends the processes still running: SIGTERM, then SIGKILL after 30 s."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class Run:
    """taasd with a topology of NODES nodes (VMS ports each), and switch-sim playing its bridges."""

    def __init__(self, nodes, vms, echo_rounds=0, quiet_echo=True, extra=(), db=None):
        self.dir = tempfile.mkdtemp(prefix="taas-bench-sim-")
        self.procs = []
        self.sim = self.log = None
        self.db = db or os.path.join(self.dir, "taasd.sqlite")
        try:
            self.start_all(nodes, vms, echo_rounds, quiet_echo, extra)
        except BaseException:
            self.close()
            raise

    def start_all(self, nodes, vms, echo_rounds, quiet_echo, extra):
        topo = os.path.join(self.dir, "topology.yaml")
        with open(topo, "w") as f:
            subprocess.run([sys.executable, os.path.join(SCRIPTS, "sim-topology.py"), str(nodes), str(vms)], stdout=f, check=True)
        # Below the ephemeral range (32768 up), which the simulator's thousands of connections use.
        self.of_port = 20000 + 2 * random.randrange(6000)
        self.base = f"http://127.0.0.1:{self.of_port + 1}"
        args = [os.path.join(BIN, "taasd"), "--openflow", f"ptcp:{self.of_port}:127.0.0.1", "--api", f"127.0.0.1:{self.of_port + 1}",
                "--db", self.db, "--topology", topo, "--log-level", os.environ.get("TAAS_BENCH_LOG", "warning")]
        if quiet_echo:  # measure sessions, not taasd's own idle echoes
            args += ["--echo-interval", "60", "--echo-timeout", "60"]
        args += list(extra)
        self.log = open(os.path.join(self.dir, "taasd.log"), "w")
        self.taasd = self.start(args, stdout=self.log, stderr=self.log)
        self.wait_healthy()
        self.base_rss = rss_kb(self.taasd.pid)
        self.sim = self.start([os.path.join(BIN, "switch-sim"), "--port", str(self.of_port), "--topology", topo,
                               "--rounds", str(echo_rounds), "--serve"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.nodes = nodes
        self.ready_ms = float(self.expect("sessions").split()[3])

    def start(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def wait_healthy(self):
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("taasd did not become healthy; see " + self.log.name)

    def expect(self, prefix):
        while True:
            line = self.sim.stdout.readline()
            if not line:
                raise SystemExit(f"switch-sim ended before '{prefix}'; taasd log: {self.log.name}")
            if line.startswith(prefix):
                return line

    def status(self, since=0.0):
        self.sim.stdin.write(f"status {since:.6f}\n")
        self.sim.stdin.flush()
        w = self.expect("status").split()
        return {w[i]: float(w[i + 1]) for i in range(1, len(w) - 1, 2)}

    def call(self, method, path, body=None):
        return taas_api.call(self.base, method, path, body)

    def wait_all_changed(self, since, timeout=600):
        """Seconds from `since` to the last switch's table change, once every switch changed after `since`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = self.status(since)
            if s["changed"] >= self.nodes:
                self.first_change = s["first"] - since
                return s["last"] - since
            # The times are the switches' own: polling seldom loses no precision, and each
            # poll costs the simulator a look at every switch, on the cores taasd uses.
            time.sleep(0.25)
        raise SystemExit(f"not every switch changed within {timeout} s: {s}")

    def close(self):
        if self.sim and self.sim.poll() is None:
            try:
                self.sim.stdin.write("quit\n")
                self.sim.stdin.flush()
                self.sim.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                pass
        stop(self.procs)
        if self.log:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Profile:
    """`perf record -g` of taasd and switch-sim while a push runs, when TAAS_BENCH_PERF names a directory."""

    def __init__(self, run, name):
        self.procs = []
        out = os.environ.get("TAAS_BENCH_PERF")
        if not out:
            return
        os.makedirs(out, exist_ok=True)
        for label, pid in (("taasd", run.taasd.pid), ("switch-sim", run.sim.pid)):
            self.procs.append(subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", os.path.join(out, f"{name}-{label}.data"),
                                                "-p", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)  # perf attached before the push starts

    def close(self):
        for p in self.procs:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=60)


def summary(line):
    w = line.split()
    return f"{w[4]} / {w[6]} / {w[8]}"


# A bundle's commit and its reply, each an ONF experimenter message of 24 bytes on OpenFlow 1.3.
COMMIT_BYTES = 24


def transport_floor(n, exchange, window=64):
    """The same push with nothing encoded, parsed or decided: `transport-floor` at both ends, N
    connections over loopback, WINDOW in flight, the bytes of EXCHANGE (OUT:BACK per round trip).
    Returns the seconds to the last reply and the CPU seconds of the pushing and the answering end."""
    # Each connection is a descriptor at either end.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = 20000 + 2 * random.randrange(6000)
    common = ["--port", str(port), "--connections", str(n), "--exchange", exchange]
    procs = []
    lines = queue.Queue()

    def line(what, timeout=120):
        """The pushing end's next line, or an error naming what did not happen in time."""
        try:
            text = lines.get(timeout=timeout)
        except queue.Empty:
            raise SystemExit(f"transport-floor: {what} within {timeout} s") from None
        if not text:
            raise SystemExit(f"transport-floor push ended before {what}")
        return text

    try:
        push = subprocess.Popen([os.path.join(BIN, "transport-floor"), "push", "--window", str(window)] + common,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(push)
        threading.Thread(target=lambda: [lines.put(t) for t in iter(push.stdout.readline, "")] + [lines.put("")], daemon=True).start()
        if not line("listening").startswith("listening"):
            raise SystemExit("transport-floor push did not listen")
        answer = subprocess.Popen([os.path.join(BIN, "transport-floor"), "answer"] + common)
        procs.append(answer)
        if not line(f"{n:,} connections made").startswith("ready"):
            raise SystemExit("transport-floor: the connections were not made")
        time.sleep(1)  # quiet, as before the push it stands for
        cpu0 = (cpu_seconds(push.pid), cpu_seconds(answer.pid))
        push.stdin.write("go\n")
        push.stdin.flush()
        words = line("the push's end").split()
        cpu1 = (cpu_seconds(push.pid), cpu_seconds(answer.pid))
        if words[:2] != ["floor", "seconds"]:
            raise SystemExit(f"transport-floor push said {words}")
        return float(words[2]), cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    finally:
        stop(procs)


def sessions(counts):
    # Each session is a descriptor in taasd and one in switch-sim.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print("echo round trips in ms: steady = one at a time from random switches (2,000), burst = all switches at once (5 rounds)")
    print("push: one request that changes every bridge, to the last bridge's commit (create: one tap flow per bridge, in bulk POSTs of 2,000 sent back to back;"
          " delete: the tap service, and with it every tap flow)")
    print("floor: the delete's connections, round trips and bytes with nothing encoded, parsed or decided at either end (transport-floor, right after)")
    print("| switches | held | all ready | taasd memory per session | steady echo p50 / p99 / max | burst echo p50 / p99 / max "
          "| push create to all | all ACTIVE | push delete to all | transport floor | delete / floor |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in counts:
        progress(f"{n:,} switches: connecting")
        run = Run(n, 1, echo_rounds=5)
        try:
            progress(f"{n:,} switches: echoes")
            steady = run.expect("echo_steady")
            burst = run.expect("echo_burst")
            time.sleep(1)  # idle: every session connected and quiet
            per = (rss_kb(run.taasd.pid) - run.base_rss) / n
            progress(f"{n:,} switches: creating the tap service")
            sid = run.call("POST", "/v2.0/taas/tap_services", {"tap_service": {"name": "t", "port_id": "tap"}})["tap_service"]["id"]
            while run.call("GET", f"/v2.0/taas/tap_services/{sid}")["tap_service"]["status"] != "ACTIVE":
                time.sleep(0.02)
            time.sleep(0.5)
            progress(f"{n:,} switches: pushing {n:,} tap flows")
            prof = Profile(run, "create")
            cpu0 = (cpu_seconds(run.taasd.pid), cpu_seconds(run.sim.pid))
            t0 = time.time()
            # Bulk POSTs of 2,000 (about 250 KB; taasd takes bodies up to 1 MB), back to back.
            for first in range(1, n + 1, 2000):
                run.call("POST", "/v2.0/taas/tap_flows",
                         {"tap_flows": [{"tap_service_id": sid, "source_port": f"n{i}-vm1", "direction": "BOTH"}
                                        for i in range(first, min(n, first + 1999) + 1)]})
            create = run.wait_all_changed(t0)
            cpu1 = (cpu_seconds(run.taasd.pid), cpu_seconds(run.sim.pid))
            prof.close()
            while any(f["status"] != "ACTIVE" for f in run.call("GET", "/v2.0/taas/tap_flows")["tap_flows"]):
                time.sleep(0.1)
            active = time.time() - t0
            flows_before = run.status()["flows"]
            time.sleep(0.5)
            progress(f"{n:,} switches: deleting the tap service")
            prof = Profile(run, "delete")
            before = run.status()
            cpu2 = (cpu_seconds(run.taasd.pid), cpu_seconds(run.sim.pid))
            t1 = time.time()
            run.call("DELETE", f"/v2.0/taas/tap_services/{sid}")
            answered = time.time() - t1
            delete = run.wait_all_changed(t1)
            cpu3 = (cpu_seconds(run.taasd.pid), cpu_seconds(run.sim.pid))
            prof.close()
            progress(f"delete: answered in {answered:.2f} s, first switch changed at {run.first_change:.2f} s, last at {delete:.2f} s")
            progress(f"CPU seconds, taasd / switch-sim: create {cpu1[0] - cpu0[0]:.2f} / {cpu1[1] - cpu0[1]:.2f}, "
                     f"delete {cpu3[0] - cpu2[0]:.2f} / {cpu3[1] - cpu2[1]:.2f}")
            after = run.status()
            if after["flows"] >= flows_before:
                raise SystemExit(f"delete removed no flows: {flows_before} then {after['flows']}")
            held = int(after["connected"])
            # Each switch's delete: open, adds and barrier, then the commit; their replies (switch-sim counts
            # these alone, not the statistics reads or echoes that may fall in the same time).
            sent, back = round((after["in"] - before["in"]) / n), round((after["out"] - before["out"]) / n)
            if min(sent, back) <= COMMIT_BYTES:
                raise SystemExit(f"the delete sent each switch {sent} bytes and got {back} back: not a bundle and its commit")
            exchange = f"{sent - COMMIT_BYTES}:{back - COMMIT_BYTES},{COMMIT_BYTES}:{COMMIT_BYTES}"
        finally:
            run.close()
        progress(f"{n:,} connections: the transport floor, {exchange} bytes per connection")
        floor, fcpu_push, fcpu_answer = transport_floor(n, exchange)
        progress(f"floor: {floor:.2f} s, CPU seconds pushing / answering end {fcpu_push:.2f} / {fcpu_answer:.2f}")
        print(f"| {n:,} | {held:,} | {run.ready_ms / 1000:.2f} s | {per:.1f} KB | {summary(steady)} ms | {summary(burst)} ms "
              f"| {create:.2f} s | {active:.2f} s | {delete:.2f} s | {floor:.2f} s | {delete / floor:.1f}× |", flush=True)


def idle(counts, settle=8, span=20):
    """taasd's and switch-sim's CPU while COUNT switches stay connected and idle: with taasd's
    default keepalive (an echo after 5 s of silence, so COUNT / 5 echoes a second), then with
    60 s (almost none: what holding the sessions costs by itself)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"idle: CPU over {span} s, {settle} s after every switch was ready (switch-sim answers the echoes)")
    print("| switches | keepalive | taasd CPU | switch-sim CPU |")
    print("| --- | --- | --- | --- |")
    for n in counts:
        for quiet in (False, True):
            progress(f"{n:,} switches, keepalive {'60 s' if quiet else 'default'}: connecting")
            run = Run(n, 1, quiet_echo=quiet)
            try:
                time.sleep(settle)
                cpu0, t0 = (cpu_seconds(run.taasd.pid), cpu_seconds(run.sim.pid)), time.time()
                time.sleep(span)
                cpu1, t1 = (cpu_seconds(run.taasd.pid), cpu_seconds(run.sim.pid)), time.time()
            finally:
                run.close()
            d = t1 - t0
            print(f"| {n:,} | {'60 s' if quiet else '5 s (default)'} | {100 * (cpu1[0] - cpu0[0]) / d:.1f} % "
                  f"| {100 * (cpu1[1] - cpu0[1]) / d:.1f} % |", flush=True)


def latency(nodes, creations):
    vms = max(1, -(-creations // nodes))
    run = Run(nodes, vms, quiet_echo=False)
    try:
        sid = run.call("POST", "/v2.0/taas/tap_services", {"tap_service": {"name": "t", "port_id": "tap"}})["tap_service"]["id"]
        while run.call("GET", f"/v2.0/taas/tap_services/{sid}")["tap_service"]["status"] != "ACTIVE":
            time.sleep(0.01)
        lat = []
        for i in range(creations):
            # Spread the sources over every bridge: each creation programs its source's bridge and the service's.
            port = f"n{i % nodes + 1}-vm{i // nodes + 1}"
            t = time.perf_counter()
            fid = run.call("POST", "/v2.0/taas/tap_flows",
                           {"tap_flow": {"tap_service_id": sid, "source_port": port, "direction": "BOTH"}})["tap_flow"]["id"]
            while run.call("GET", f"/v2.0/taas/tap_flows/{fid}")["tap_flow"]["status"] != "ACTIVE":
                pass
            lat.append((time.perf_counter() - t) * 1000)
        held = int(run.status()["connected"])
        lat.sort()
        q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
        print("| bridges (simulated) | connected | creations | p50 | p90 | p99 | max |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        print(f"| {nodes} | {held} | {creations} | {q(0.5):.1f} ms | {q(0.9):.1f} ms | {q(0.99):.1f} ms | {lat[-1]:.1f} ms |")
    finally:
        run.close()


class Client:
    """One keep-alive HTTP connection to taasd's API (a new connection per request would be
    measured too)."""

    def __init__(self, base):
        host, port = base.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=600)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        r = self.conn.getresponse()
        payload = r.read()
        if r.status >= 400:
            raise SystemExit(f"{method} {path}: {r.status} {payload[:300]!r}")
        return json.loads(payload or b"{}")


def quantile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def wait_for_service_port(run):
    """A client once the declared ports, the tap service's port among them, reach the inventory
    (just after the start)."""
    api = Client(run.base)
    for _ in range(600):
        try:
            api.call("GET", "/v2.0/ports/tap")
            return api
        except SystemExit:
            api = Client(run.base)
            time.sleep(0.1)
    raise SystemExit("the tap service's port never reached the inventory")


def create_service(api):
    """The tap service on port `tap`, once ACTIVE; its id."""
    sid = api.call("POST", "/v2.0/taas/tap_services", {"tap_service": {"name": "t", "port_id": "tap"}})["tap_service"]["id"]
    while api.call("GET", f"/v2.0/taas/tap_services/{sid}")["tap_service"]["status"] != "ACTIVE":
        time.sleep(0.01)
    return sid


def scale(nodes, vms, sizes, changes=60, bulk=2000):
    """One change's end-to-end cost as the policy grows: taasd with NODES simulated bridges and a
    declared topology of NODES × VMS ports, one tap service on node 1, BOTH tap flows spread over
    every node. At each SIZE (tap flows installed, preloaded in bulk): CHANGES single creations
    timed from POST to ACTIVE, the POST alone, taasd's CPU per change (CHANGES created back to
    back, to all ACTIVE), idle CPU, resident memory."""
    # The last 5 VM ports of every node are kept for the measured changes.
    spare = 5
    if sizes[-1] > nodes * (vms - spare) or changes * len(sizes) > nodes * spare:
        raise SystemExit(f"{nodes} nodes × {vms} VMs cannot hold {sizes[-1]:,} tap flows plus the measured ones")
    rows = []
    # A bare taasd first: its resident memory with nothing to do.
    bare_dir = tempfile.mkdtemp(prefix="taas-bench-bare-")
    port = 20000 + 2 * random.randrange(6000)
    bare = subprocess.Popen([os.path.join(BIN, "taasd"), "--openflow", f"ptcp:{port}:127.0.0.1", "--api", f"127.0.0.1:{port + 1}",
                             "--db", os.path.join(bare_dir, "taasd.sqlite"), "--log-level", "warning"])
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/healthz", timeout=5):
                    break
            except OSError:
                time.sleep(0.05)
        time.sleep(2)
        bare_rss, bare_anon, bare_file = rss_kb(bare.pid), rss_kb(bare.pid, "RssAnon"), rss_kb(bare.pid, "RssFile")
    finally:
        bare.send_signal(signal.SIGTERM)
        bare.wait()
        shutil.rmtree(bare_dir, ignore_errors=True)

    progress(f"{nodes} simulated bridges, {nodes * vms:,} declared ports: starting")
    run = Run(nodes, vms, quiet_echo=False)
    try:
        api = wait_for_service_port(run)
        time.sleep(3)
        topo_rss = rss_kb(run.taasd.pid)
        sid = create_service(api)

        def port(i):
            return f"n{i % nodes + 1}-vm{i // nodes + 1}"

        def spare_port(i):
            return f"n{i % nodes + 1}-vm{vms - i // nodes}"

        def active():
            return api.call("GET", "/v2.0/taas/status")["status"]["tap_flows"]["ACTIVE"]

        installed, used_spare, preload = 0, 0, None
        for size in sizes:
            if size > installed:
                progress(f"preloading to {size:,} tap flows")
                t0 = time.time()
                for first in range(installed, size, bulk):
                    api.call("POST", "/v2.0/taas/tap_flows",
                             {"tap_flows": [{"tap_service_id": sid, "source_port": port(i), "direction": "BOTH"}
                                            for i in range(first, min(size, first + bulk))]})
                while active() < size:
                    time.sleep(0.05)
                preload = (size - installed, time.time() - t0)
                installed = size
            # Idle is the steady state: after the first statistics read (every 10 s) that follows
            # the change, which plans the reads anew.
            time.sleep(12)
            progress(f"{size:,} installed: idle CPU")
            c0, w0 = cpu_seconds(run.taasd.pid), time.time()
            time.sleep(20)
            idle = (cpu_seconds(run.taasd.pid) - c0) / (time.time() - w0)
            progress(f"{size:,} installed: {changes} changes, one at a time")
            lat, post, made = [], [], []
            for _ in range(changes):
                t = time.perf_counter()
                fid = api.call("POST", "/v2.0/taas/tap_flows",
                               {"tap_flow": {"tap_service_id": sid, "source_port": spare_port(used_spare), "direction": "BOTH"}})["tap_flow"]["id"]
                post.append((time.perf_counter() - t) * 1000)
                used_spare += 1
                made.append(fid)
                # Polled every millisecond: a busier poll would take the CPU the change needs
                # (each GET costs taasd about 0.2 ms).
                while api.call("GET", f"/v2.0/taas/tap_flows/{fid}")["tap_flow"]["status"] != "ACTIVE":
                    time.sleep(0.001)
                lat.append((time.perf_counter() - t) * 1000)
            for fid in made:
                api.call("DELETE", f"/v2.0/taas/tap_flows/{fid}")
            while active() > size:
                time.sleep(0.02)
            time.sleep(1)
            progress(f"{size:,} installed: CPU per change")
            c0 = cpu_seconds(run.taasd.pid)
            made = []
            for _ in range(changes):
                made.append(api.call("POST", "/v2.0/taas/tap_flows",
                                     {"tap_flow": {"tap_service_id": sid, "source_port": spare_port(used_spare), "direction": "BOTH"}})["tap_flow"]["id"])
                used_spare += 1
            while active() < size + changes:
                time.sleep(0.01)
            cpu = (cpu_seconds(run.taasd.pid) - c0) / changes * 1000
            rss = rss_kb(run.taasd.pid)
            for fid in made:
                api.call("DELETE", f"/v2.0/taas/tap_flows/{fid}")
            while active() > size:
                time.sleep(0.02)
            held = int(run.status()["connected"])
            rows.append((size, lat, post, cpu, idle, rss, held, preload))
        print(f"taasd's resident memory: {bare_rss / 1024:.1f} MiB bare (no topology, no bridge: {bare_anon / 1024:.1f} MiB its own, "
              f"{bare_file / 1024:.1f} MiB file-backed pages of the binary and the shared libraries); "
              f"{topo_rss / 1024:.1f} MiB with {nodes * vms:,} declared ports and {nodes} bridges, before any tap service")
        print()
        print("| tap flows installed | bridges held | POST→ACTIVE p50 | p99 | max | POST alone p50 | p99 | taasd CPU per change "
              "| idle CPU | RSS | preload (bulk, to ACTIVE) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for size, lat, post, cpu, idle, rss, held, preload in rows:
            pre = f"{preload[0]:,} in {preload[1]:.2f} s" if preload else "—"
            print(f"| {size:,} | {held} | {quantile(lat, 0.5):.1f} ms | {quantile(lat, 0.99):.1f} ms | {max(lat):.1f} ms "
                  f"| {quantile(post, 0.5):.1f} ms | {quantile(post, 0.99):.1f} ms | {cpu:.1f} ms | {idle * 100:.1f} % "
                  f"| {rss / 1024:.0f} MiB | {pre} |", flush=True)
    finally:
        run.close()
    fresh_preload(nodes, vms, sizes[-1], bulk)


def fresh_preload(nodes, vms, size, bulk):
    """The bulk preload on its own: SIZE tap flows into a taasd that has none, to all ACTIVE."""
    progress(f"a fresh taasd: bulk preload of {size:,} tap flows")
    run = Run(nodes, vms, quiet_echo=False)
    try:
        api = wait_for_service_port(run)
        sid = create_service(api)
        t0, c0 = time.time(), cpu_seconds(run.taasd.pid)
        for first in range(0, size, bulk):
            api.call("POST", "/v2.0/taas/tap_flows",
                     {"tap_flows": [{"tap_service_id": sid, "source_port": f"n{i % nodes + 1}-vm{i // nodes + 1}", "direction": "BOTH"}
                                    for i in range(first, min(size, first + bulk))]})
        posted = time.time() - t0
        while api.call("GET", "/v2.0/taas/status")["status"]["tap_flows"]["ACTIVE"] < size:
            time.sleep(0.05)
        took, cpu = time.time() - t0, cpu_seconds(run.taasd.pid) - c0
        print(f"bulk preload into a fresh taasd: {size:,} tap flows ({-(-size // bulk)} POSTs of up to {bulk:,}) to ACTIVE in {took:.2f} s "
              f"(the POSTs {posted:.2f} s; taasd CPU {cpu:.2f} s); resident memory then {rss_kb(run.taasd.pid) / 1024:.0f} MiB", flush=True)
    finally:
        run.close()


class PrivatePostgres:
    """Debian's PostgreSQL on a cluster of its own (initdb in a temporary directory), on a unix
    socket only, as the postgres user when run as root; stopped by pid, its directory removed."""

    def __init__(self):
        versions = sorted(int(v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit()) if os.path.isdir("/usr/lib/postgresql") else []
        if not versions:
            raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = f"/usr/lib/postgresql/{versions[-1]}/bin"
        self.dir = tempfile.mkdtemp(prefix="taas-bench-pg-")
        self.proc = None
        self.as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if os.getuid() == 0 else []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        try:
            subprocess.run(self.as_postgres + [f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                               "--locale=C", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
            log = open(f"{self.dir}/postgres.log", "w")
            self.proc = subprocess.Popen(self.as_postgres + [f"{self.bin}/postgres", "-D", f"{self.dir}/data", "-k", self.dir,
                                                             "-c", "listen_addresses="], stdout=log, stderr=log)
            for _ in range(200):
                if subprocess.run([f"{self.bin}/pg_isready", "-q", "-h", self.dir, "-U", "postgres"]).returncode == 0:
                    break
                time.sleep(0.1)
            else:
                raise SystemExit(f"PostgreSQL did not start; see {self.dir}/postgres.log")
        except BaseException:
            self.close()
            raise
        self.url = f"postgresql://postgres@/postgres?host={self.dir}"

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def store(nodes, creations):
    """POST tap flow → ACTIVE and the POST alone, one taasd with NODES simulated bridges, its
    policy in SQLite, then in PostgreSQL (a private server on a unix socket; the taasd holds the
    replicas' lease alone), side by side."""
    vms = max(2, -(-creations // nodes) + 1)
    rows = []
    for backend in ("SQLite", "PostgreSQL"):
        pg = PrivatePostgres() if backend == "PostgreSQL" else None
        try:
            run = Run(nodes, vms, quiet_echo=False, db=pg.url if pg else None)
            try:
                api = wait_for_service_port(run)
                sid = create_service(api)
                total, alone = [], []
                for i in range(creations):
                    port = f"n{i % nodes + 1}-vm{i // nodes + 1}"
                    t = time.perf_counter()
                    fid = api.call("POST", "/v2.0/taas/tap_flows",
                                   {"tap_flow": {"tap_service_id": sid, "source_port": port, "direction": "BOTH"}})["tap_flow"]["id"]
                    alone.append((time.perf_counter() - t) * 1000)
                    while api.call("GET", f"/v2.0/taas/tap_flows/{fid}")["tap_flow"]["status"] != "ACTIVE":
                        pass
                    total.append((time.perf_counter() - t) * 1000)
                rows.append((backend, quantile(total, 0.5), quantile(total, 0.99), quantile(alone, 0.5), quantile(alone, 0.99)))
                progress(f"{backend}: POST→ACTIVE p50 {rows[-1][1]:.1f} ms")
            finally:
                run.close()
        finally:
            if pg:
                pg.close()
    print(f"| store ({nodes} simulated bridges, {creations} tap flows created one by one) | POST→ACTIVE p50 | p99 | POST alone p50 | p99 |")
    print("| --- | --- | --- | --- | --- |")
    for b, p50, p99, a50, a99 in rows:
        print(f"| {b} | {p50:.1f} ms | {p99:.1f} ms | {a50:.1f} ms | {a99:.1f} ms |")
    s, p = rows[0], rows[1]
    print(f"| PostgreSQL / SQLite | {p[1] / s[1]:.2f}× | {p[2] / s[2]:.2f}× | {p[3] / s[3]:.2f}× | {p[4] / s[4]:.2f}× |")


def main(argv):
    # A signal ends the run through its cleanup.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(130))
    try:
        if len(argv) >= 2 and argv[0] == "sessions":
            return sessions([int(a) for a in argv[1:]])
        if len(argv) == 3 and argv[0] == "latency":
            return latency(int(argv[1]), int(argv[2]))
        if len(argv) == 3 and argv[0] == "store":
            return store(int(argv[1]), int(argv[2]))
        if len(argv) >= 4 and argv[0] == "scale":
            return scale(int(argv[1]), int(argv[2]), [int(a) for a in argv[3:]])
        if len(argv) >= 2 and argv[0] == "idle":
            return idle([int(a) for a in argv[1:]])
        if len(argv) == 3 and argv[0] == "floor":
            floor, push, answer = transport_floor(int(argv[1]), argv[2])
            print(f"{int(argv[1]):,} connections, {argv[2]} bytes: {floor:.3f} s; CPU seconds pushing / answering end {push:.2f} / {answer:.2f}")
            return
        if len(argv) == 4 and argv[0] == "preload":
            return fresh_preload(int(argv[1]), int(argv[2]), int(argv[3]), 2000)
    except ValueError:
        pass
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
