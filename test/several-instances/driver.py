#!/usr/bin/env python3
"""Two godex processes on one PostgreSQL database behind nginx (scripts/several-instances-tests.sh starts them all on
127.0.0.1). Checks what several instances must agree on; prints one line per case and "N passed, N failed".
Every load loop here is bounded in count and time, and talks to loopback only."""
import base64, concurrent.futures as cf, hashlib, json, os, re, signal, ssl, subprocess, sys, threading, time
import http.client

ENV = os.environ
NGINX, A, B = int(ENV["NGINX_PORT"]), int(ENV["A_PORT"]), int(ENV["B_PORT"])
B_PID = int(ENV["B_PID"])
GODEX, DB = ENV["GODEX_BIN"], ENV["DATABASE_URL"]
LND_PORT, LND_DIR = int(ENV["LND_PORT"]), ENV["LND_DIR"]
PSQL = ENV["PSQL_URL"]  # same database, for counting rows
CHAT = json.dumps({"model": "gpt-5.2-codex", "messages": [{"role": "user", "content": "Say hello"}]})
results = []
# A key whose rate is no limit here (the default rate would be): leases of 100 tokens, no round trip per request.
FAST = ("--rate", "100000/s", "--burst", "1000")


def request(port, path, body, headers=None, timeout=20):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"content-type": "application/json"}
        h.update(headers or {})
        conn.request("POST", path, body=body, headers=h)
        r = conn.getresponse()
        headers = {k.lower(): v for k, v in r.getheaders()}
        headers["www-authenticate"] = r.msg.get_all("www-authenticate") or []
        return r.status, r.read(), headers
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e).encode(), {}
    finally:
        conn.close()


def chat(port, key=None, auth=None):
    headers = {}
    if key:
        headers["authorization"] = "Bearer " + key
    if auth:
        headers["authorization"] = auth
    return request(port, "/v1/chat/completions", CHAT, headers)


def sql(query):
    out = subprocess.run(["psql", "-qAtX", PSQL, "-c", query], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip()


def godex(*args):
    out = subprocess.run([GODEX, *args, "--database", DB], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"godex {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def new_key(*flags):
    data = json.loads(godex("proxy", "keys", "add", "--label", "t", "--json", *flags))
    return data["key_id"], data["api_key"]


def case(name):
    def wrap(fn):
        started = time.monotonic()
        try:
            detail = fn()
            results.append(True)
            print(f"ok   {name} ({time.monotonic() - started:.1f} s){': ' + detail if detail else ''}", flush=True)
        except Exception as e:  # noqa: BLE001 - a failed case is reported, the others still run
            results.append(False)
            print(f"FAIL {name}: {e}", flush=True)
        return fn
    return wrap


def wait_rows(query, expected, seconds=5):
    deadline = time.monotonic() + seconds
    while True:
        got = int(sql(query))
        if got >= expected or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


@case("1,000 requests through nginx across both instances -> exactly 1,000 ledger rows")
def thousand():
    key_id, key = new_key(*FAST)
    time.sleep(1.2)  # both instances have the key (NOTIFY; the poll at worst)
    with cf.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: chat(NGINX, key)[0], range(1000), timeout=120))
    assert statuses.count(200) == 1000, f"statuses {sorted(set(statuses))}: {statuses.count(200)} x 200"
    rows = wait_rows(f"SELECT COUNT(*) FROM usage WHERE key_id = '{key_id}'", 1000)
    time.sleep(1.5)  # and none more arrive
    rows = int(sql(f"SELECT COUNT(*) FROM usage WHERE key_id = '{key_id}'"))
    assert rows == 1000, f"{rows} ledger rows"
    served = sql(f"SELECT COUNT(DISTINCT request_id) FROM usage WHERE key_id = '{key_id}'")
    return f"1000 x 200, {rows} rows ({served} distinct request ids)"


@case("a key with 10/min gets exactly 10 x 200 in the minute across both instances")
def ten_per_minute():
    key_id, key = new_key("--rate", "10/m", "--burst", "10")
    time.sleep(1.2)
    started = time.monotonic()
    with cf.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda i: chat(A if i % 2 == 0 else B, key)[0], range(40), timeout=60))
    took = time.monotonic() - started
    assert took < 5, f"took {took:.1f} s: the bucket refills one token per 6 s"
    assert statuses.count(200) == 10 and statuses.count(429) == 30, f"{statuses.count(200)} x 200, {statuses.count(429)} x 429"
    return f"10 x 200, 30 x 429 in {took:.1f} s, requests alternating A and B"


@case("a conversation whose turns alternate instances keeps its previous_response_id chain")
def conversation():
    _, key = new_key(*FAST)
    time.sleep(1.2)
    previous = None
    words = []
    for turn in range(6):
        body = {"model": "gpt-5.2-codex", "input": f"turn {turn}"}
        if previous:
            body["previous_response_id"] = previous
        status, data, _ = request(A if turn % 2 == 0 else B, "/v1/responses", json.dumps(body), {"authorization": "Bearer " + key})
        assert status == 200, f"turn {turn}: {status} {data[:200]!r}"
        doc = json.loads(data)
        assert doc.get("previous_response_id") == previous, f"turn {turn}: previous_response_id {doc.get('previous_response_id')} != {previous}"
        previous = doc["id"]
        words.append(previous)
    return f"6 turns A,B,A,B,A,B: {words[0]} ... {words[-1]}"


def lnd_pay(invoice):
    ctx = ssl.create_default_context(cafile=os.path.join(LND_DIR, "tls.cert"))
    ctx.check_hostname = False
    conn = http.client.HTTPSConnection("127.0.0.1", LND_PORT, context=ctx, timeout=10)
    macaroon = open(os.path.join(LND_DIR, "invoice.macaroon"), "rb").read().hex()
    conn.request("POST", "/v1/channels/transactions", body=json.dumps({"payment_request": invoice}), headers={"Grpc-Metadata-macaroon": macaroon})
    answer = json.loads(conn.getresponse().read())
    assert answer.get("payment_error", "") == "", answer
    return base64.b64decode(answer["payment_preimage"])


@case("one L402 payment redeemed concurrently at both instances -> one credit")
def l402_once():
    status, _, headers = chat(NGINX)
    assert status == 402, f"no challenge: {status}"
    challenge = [v for v in headers["www-authenticate"] if v.startswith("L402 ")][0]
    macaroon, invoice = re.search(r'L402 macaroon="([^"]+)", invoice="([^"]+)"', challenge).groups()
    preimage = lnd_pay(invoice)
    payment_hash = hashlib.sha256(preimage).hexdigest()
    auth = f"L402 {macaroon}:{preimage.hex()}"
    barrier = threading.Barrier(8)

    def one(i):
        barrier.wait(timeout=10)
        return chat(A if i % 2 == 0 else B, auth=auth)[0]

    with cf.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(8), timeout=60))
    assert 200 in statuses and set(statuses) <= {200, 429}, f"statuses {statuses}"
    rows = sql(f"SELECT COUNT(*) || ' ' || MIN(credit_msat) FROM l402_credits WHERE payment_hash = '{payment_hash}'")
    assert rows.split()[0] == "1", f"{rows} credit rows"
    redeemed = sum(open(p).read().count(payment_hash) for p in (ENV["A_REDEEMED"], ENV["B_REDEEMED"]) if os.path.exists(p))
    assert redeemed == 1, f"redeemed {redeemed} times in the instances' JSONL ledgers"
    return f"statuses {sorted(statuses)} (429: one request in flight per payment); 1 credit row of {rows.split()[1]} msat, redeemed once"


@case("kill -9 of one instance under load: no key change lost, usage loss within the bound, the other keeps serving")
def kill_under_load():
    key_id, key = new_key(*FAST)
    time.sleep(1.2)
    done = []  # (time, status)
    stop = threading.Event()
    lock = threading.Lock()

    def worker():
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            status = chat(NGINX, key)[0]
            with lock:
                done.append((time.monotonic(), status))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(2)
    changed_id, changed_key = new_key()           # key changes while under load, committed before the command returns
    godex("proxy", "keys", "revoke", changed_id)
    added_id, added_key = new_key("--rate", "100/s")
    killed_at = time.monotonic()
    os.kill(B_PID, signal.SIGKILL)
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join(timeout=40)
    ok = sum(1 for _, s in done if s == 200)
    before = [t for t, s in done if s == 200 and killed_at - 1 <= t < killed_at]
    failed = [s for _, s in done if s != 200]
    after_ok = sum(1 for t, s in done if s == 200 and t > killed_at + 0.5)
    rows = wait_rows(f"SELECT COUNT(*) FROM usage WHERE key_id = '{key_id}' AND status = 200", ok, seconds=4)
    lost = ok - rows
    bound = len(before)  # UsageLedgerWriter.MaxFlushDelay = 1 s of the killed instance's requests (at most all of them)
    assert 0 <= lost <= bound, f"{ok} x 200 seen, {rows} rows: {lost} lost, bound {bound}"
    assert after_ok > 50, f"only {after_ok} x 200 after the kill"
    assert chat(A, changed_key)[0] == 401, "the revoked key is served"
    assert chat(A, added_key)[0] == 200, "the key added under load is refused"
    assert sql(f"SELECT revoked_at IS NOT NULL FROM keys WHERE id = '{changed_id}'") == "t"
    for _ in range(20):
        assert chat(NGINX, key)[0] == 200, "nginx + the surviving instance do not serve"
    return (f"{len(done)} requests, {ok} x 200, {len(failed)} failed at the kill ({sorted(set(failed))}); "
            f"{rows} rows for the 200s: {lost} lost (bound: {bound}, the 200s of the last second); {after_ok} x 200 after the kill")


@case("godex proxy db migrate --from sqlite:PATH --to postgres://… copies keys, and their secrets keep working")
def migrate():
    sqlite = os.path.join(ENV["RUN_DIR"], "old.db")
    data = json.loads(subprocess.run([GODEX, "proxy", "keys", "add", "--label", "old", "--json", "--database", "sqlite:" + sqlite],
                                     capture_output=True, text=True, timeout=60, check=True).stdout)
    sql("CREATE DATABASE migrated")
    target = DB.rsplit("/", 1)[0] + "/migrated"
    out = subprocess.run([GODEX, "proxy", "db", "migrate", "--from", "sqlite:" + sqlite, "--to", target], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    password = DB.split(":")[2].split("@")[0]
    assert password not in out.stdout + out.stderr, "the password was printed"
    shown = subprocess.run([GODEX, "proxy", "keys", "show", data["api_key"], "--json", "--database", target], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and json.loads(shown.stdout)["key_id"] == data["key_id"], shown.stderr
    again = subprocess.run([GODEX, "proxy", "db", "migrate", "--from", "sqlite:" + sqlite, "--to", target], capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and "already holds state" in again.stderr, again.stderr
    return out.stdout.strip().splitlines()[0]


passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
