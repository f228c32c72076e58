#!/usr/bin/env python3
"""godex's hostile corpus, run against the native binary (./test.sh phase; issue 14).

Starts the scripted hostile upstream (upstream.py) and godex pointed at it with fake credentials and short timeouts,
then plays two parts and prints one closing line "N passed, N failed":
  client    client-cases.json: hostile requests to the three front doors, count_tokens, /v1/models and the admin API.
            No case may get a 5xx of godex's own, hang, or an error outside the front door's shape.
  upstream  upstream-faults.json: each fault of the scripted upstream on every route, streamed and not. Each case must
            end within its bound and answer what the fault's "expect" says, in the front door's shape.

Usage: run.py [--part client|upstream|all] [--binary PATH] [--jobs N] [--only TEXT] [--verbose] [--keep]
Python 3.11 standard library only; every socket is on 127.0.0.1; every wait is bounded.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATIC_KEY = 'hostile-static-key'
ADMIN_KEY = 'hostile-admin-key'
CODEX_MODEL = 'gpt-5.2-codex'
CLAUDE_MODEL = 'claude-sonnet-4-5'

# The timeouts godex runs with here; the upstream part's bounds are derived from them.
CONFIG = """
proxy:
  max_body_bytes: 2MB
  max_inflight_body_bytes: 64MB
  request_headers_timeout: 3s
  default_rate: ""
  admin_key: {admin_key}
  backends:
    codex:
      connect_timeout: 3s
      idle_timeout: 3s
      total_timeout: 10s
      retry_max: 1
      retry_delay: 200ms
      retry_max_wait: 2s
    anthropic:
      api_key: fake-anthropic-key
      connect_timeout: 3s
      idle_timeout: 3s
      total_timeout: 10s
      retry_max: 1
      retry_delay: 200ms
      retry_max_wait: 2s
routing:
  default: ""  # unmatched models are a 404 here, the answer the corpus checks (the shipped default sends them to codex)
"""
DEFAULT_WITHIN = 25.0  # seconds: 2 attempts x (3 s headers + 3 s idle) + retry waits, with room for a busy machine


# ---- a raw HTTP/1.1 client ---------------------------------------------------------------------------------------

class Answer:
    def __init__(self):
        self.status = None
        self.headers = {}
        self.body = b''
        self.elapsed = 0.0
        self.error = None  # 'timeout' (a hang), 'reset', 'closed' (no complete answer), or None
        self.clean = False  # the body ended as its framing says (length reached, last chunk, or close-delimited)


def hexbytes(text):
    """A corpus string to bytes: UTF-8, with @@xx@@ standing for the raw byte 0xXX (invalid UTF-8 cannot live in JSON)."""
    parts = re.split(r'@@([0-9a-fA-F]{2})@@', text)
    out = bytearray()
    for i, part in enumerate(parts):
        out += bytes.fromhex(part) if i % 2 else part.encode('utf-8', 'surrogatepass')
    return bytes(out)


def exchange(port, request, timeout, plan=None):
    """Sends request bytes (or a plan of (bytes, pause) pieces) and reads one response, within timeout seconds."""
    answer = Answer()
    started = time.monotonic()
    deadline = started + timeout
    sock = socket.create_connection(('127.0.0.1', port), timeout=5)
    try:
        for piece, pause in (plan or [(request, 0)]):
            try:
                sock.sendall(piece)
            except OSError:
                break  # godex answered and closed before all of it was sent: read what it said
            if pause:
                time.sleep(pause)
        buffer = bytearray()

        def fill():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            data = sock.recv(1 << 16)
            if not data:
                raise EOFError
            buffer.extend(data)

        while b'\r\n\r\n' not in buffer:
            fill()
        head, _, rest = bytes(buffer).partition(b'\r\n\r\n')
        buffer[:] = rest
        lines = head.decode('latin-1').split('\r\n')
        answer.status = int(lines[0].split(' ')[1])
        for line in lines[1:]:
            name, _, value = line.partition(':')
            answer.headers[name.strip().lower()] = value.strip()
        if request.startswith(b'HEAD ') or answer.status in (204, 304):
            answer.clean = True
        elif 'content-length' in answer.headers:
            length = int(answer.headers['content-length'])
            while len(buffer) < length:
                fill()
            answer.body = bytes(buffer[:length])
            answer.clean = True
        elif answer.headers.get('transfer-encoding', '').lower() == 'chunked':
            body = bytearray()
            while True:
                while b'\r\n' not in buffer:
                    fill()
                line, _, rest = bytes(buffer).partition(b'\r\n')
                buffer[:] = rest
                size = int(line.split(b';')[0], 16)
                if size == 0:
                    answer.clean = True
                    break
                while len(buffer) < size + 2:
                    fill()
                body += buffer[:size]
                buffer[:] = buffer[size + 2:]
            answer.body = bytes(body)
        else:
            try:
                while True:
                    fill()
            except EOFError:
                answer.clean = True
            answer.body = bytes(buffer)
    except TimeoutError:
        answer.error = 'timeout'
        answer.body = answer.body or bytes(locals().get('buffer', b''))
    except (ConnectionResetError, BrokenPipeError):
        answer.error = 'reset'
    except EOFError:
        answer.error = 'closed'
    except (OSError, ValueError, IndexError) as ex:
        answer.error = f'error: {ex}'
    finally:
        answer.elapsed = time.monotonic() - started
        sock.close()
    return answer


def request_bytes(method, path, body=b'', headers=None, key=STATIC_KEY):
    lines = [f'{method} {path} HTTP/1.1', 'Host: 127.0.0.1']
    if key:
        lines.append(f'Authorization: Bearer {key}')
    for name, value in (headers or {}).items():
        lines.append(f'{name}: {value}')
    if body or method in ('POST', 'PUT', 'PATCH'):
        lines.append(f'Content-Length: {len(body)}')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


# ---- what an answer must look like -------------------------------------------------------------------------------

def dialect_of(path):
    """Anthropic's shape for /v1/messages and what is below it (a path segment, as godex matches it), OpenAI's elsewhere."""
    path = path.split('?')[0]
    return 'anthropic' if path == '/v1/messages' or path.startswith('/v1/messages/') else 'openai'


def error_shape(answer, dialect):
    """None when the body is an error in the dialect's shape, else what is wrong."""
    try:
        doc = json.loads(answer.body)
    except ValueError:
        return f'error body is not JSON: {answer.body[:120]!r}'
    if dialect == 'anthropic':
        ok = isinstance(doc, dict) and doc.get('type') == 'error' and isinstance(doc.get('error'), dict) \
            and isinstance(doc['error'].get('type'), str) and isinstance(doc['error'].get('message'), str)
    else:
        ok = isinstance(doc, dict) and isinstance(doc.get('error'), dict) and isinstance(doc['error'].get('message'), str) \
            and isinstance(doc['error'].get('type'), str)
    return None if ok else f'error body not in the {dialect} shape: {answer.body[:160]!r}'


def sse_events(body):
    """(event name, data text) pairs of an SSE body."""
    events = []
    for block in re.split(rb'\r?\n\r?\n', body):
        name, data = None, []
        for line in block.split(b'\n'):
            line = line.rstrip(b'\r')
            if line.startswith(b'event:'):
                name = line[6:].strip().decode('utf-8', 'replace')
            elif line.startswith(b'data:'):
                data.append(line[5:].lstrip(b' ').decode('utf-8', 'replace'))
        if name or data:
            events.append((name, '\n'.join(data)))
    return events


def stream_verdict(route, body):
    """'ok' (complete), 'error' (ends with an in-band error), or a description of what is wrong."""
    events = sse_events(body)
    if not events:
        return 'an empty stream'
    door = route['door']
    # The first terminal event ends the answer for a client; what an upstream sends after it is not judged here.
    terminals = {'responses': ('response.completed', 'response.incomplete', 'response.failed', 'error'),
                 'messages': ('message_stop', 'error')}.get(door, ())
    for i, (name, _) in enumerate(events):
        if name in terminals:
            events = events[:i + 1]
            break
    if door == 'chat':
        datas = [d for _, d in events]
        if '[DONE]' in datas:
            datas = datas[:datas.index('[DONE]') + 1]
        if datas[-1] != '[DONE]':
            return f'the stream does not end with [DONE] (last: {datas[-1][:80]!r})'
        last = datas[-2] if len(datas) > 1 else ''
        try:
            doc = json.loads(last)
        except ValueError:
            return f'the last chunk is not JSON: {last[:80]!r}'
        if isinstance(doc, dict) and 'error' in doc:
            return 'error' if isinstance(doc['error'], dict) and isinstance(doc['error'].get('message'), str) else f'malformed in-band error {last[:80]!r}'
        finished = any(isinstance(c, dict) and c.get('choices') and c['choices'][0].get('finish_reason')
                       for c in (json.loads(d) for d in datas[:-1] if d.startswith('{')))
        return 'ok' if finished else 'the stream has no finish_reason'
    if door == 'responses':
        name, data = events[-1]
        if name in ('response.completed', 'response.incomplete'):
            return 'ok'
        if name in ('response.failed', 'error'):
            return 'error'
        return f'the stream ends with {name!r}, not a terminal event'
    name, data = events[-1]
    if name == 'message_stop':
        return 'ok'
    if name == 'error':
        try:
            doc = json.loads(data)
            return 'error' if doc.get('type') == 'error' and isinstance(doc.get('error'), dict) else f'malformed error event {data[:80]!r}'
        except ValueError:
            return f'the error event is not JSON: {data[:80]!r}'
    return f'the stream ends with {name!r}, not message_stop or error'


def success_verdict(route, answer):
    try:
        doc = json.loads(answer.body)
    except ValueError:
        return f'a 200 whose body is not JSON: {answer.body[:100]!r}'
    door = route['door']
    if not isinstance(doc, dict):
        return f'a 200 whose body is not a JSON object: {answer.body[:100]!r}'

    good = (door == 'chat' and isinstance(doc.get('choices'), list) and doc['choices'] and doc['choices'][0].get('message') is not None) \
        or (door == 'responses' and doc.get('object') == 'response' and doc.get('status') in ('completed', 'incomplete')) \
        or (door == 'messages' and doc.get('type') == 'message') \
        or (door == 'count' and isinstance(doc.get('input_tokens'), int))
    return None if good else f'a 200 that is not a {door} answer: {answer.body[:120]!r}'


# ---- the two parts -----------------------------------------------------------------------------------------------

ROUTES = {
    'chat-codex': {'door': 'chat', 'path': '/v1/chat/completions', 'model': CODEX_MODEL},
    'chat-claude': {'door': 'chat', 'path': '/v1/chat/completions', 'model': CLAUDE_MODEL},
    'responses-codex-passthrough': {'door': 'responses', 'path': '/v1/responses', 'model': CODEX_MODEL, 'extra': {'store': False}},
    'responses-codex': {'door': 'responses', 'path': '/v1/responses', 'model': CODEX_MODEL},
    'responses-claude': {'door': 'responses', 'path': '/v1/responses', 'model': CLAUDE_MODEL},
    'messages-claude': {'door': 'messages', 'path': '/v1/messages', 'model': CLAUDE_MODEL},
    'messages-codex': {'door': 'messages', 'path': '/v1/messages', 'model': CODEX_MODEL},
    'count-claude': {'door': 'count', 'path': '/v1/messages/count_tokens', 'model': CLAUDE_MODEL, 'no_stream': True},
}


def fault_body(route, fault, stream, nonce):
    text = f'hostile-fault:{fault} hostile-nonce:{nonce} please answer'
    door = route['door']
    if door == 'chat':
        body = {'model': route['model'], 'stream': stream, 'messages': [{'role': 'user', 'content': text}]}
    elif door == 'responses':
        body = {'model': route['model'], 'stream': stream, 'input': text}
    elif door == 'messages':
        body = {'model': route['model'], 'stream': stream, 'max_tokens': 64, 'messages': [{'role': 'user', 'content': text}]}
    else:
        body = {'model': route['model'], 'messages': [{'role': 'user', 'content': text}]}
    body.update(route.get('extra', {}))
    return json.dumps(body).encode()


def judge_fault(route, stream, expect, answer, within):
    """None when the answer is what the fault's expectation allows, else the reason."""
    kind = expect['kind']
    dialect = dialect_of(route['path'])
    if answer.error == 'timeout':
        return f'hang: no complete answer within {within:.0f} s (status {answer.status})'
    if answer.status is None:
        return f'no answer ({answer.error})'
    if answer.status >= 300 or (kind != 'ok' and answer.status != 200):
        if kind == 'ok':
            return f'status {answer.status}, expected a complete answer: {answer.body[:160]!r}'
        statuses = expect.get('status') or []
        if kind != 'any' and answer.status not in statuses:
            return f'status {answer.status}, expected one of {statuses}: {answer.body[:160]!r}'
        if expect.get('retry_after') and 'retry-after' not in answer.headers:
            return f'status {answer.status} without Retry-After'
        return error_shape(answer, dialect)
    if answer.error:
        return f'the answer broke off ({answer.error}) after {len(answer.body)} bytes'
    if not answer.clean:
        return 'the answer did not end cleanly'
    if stream:
        verdict = stream_verdict(route, answer.body)
        if verdict == 'ok':
            return None if kind in ('ok', 'any') else 'a complete 200 stream, expected an error (the upstream failed)'
        if verdict == 'error':
            return None if kind in ('cut', 'any') else f'an in-band error, expected {kind}'
        return verdict
    if kind in ('error', 'cut'):
        return f'a 200 answer, expected an error: {answer.body[:120]!r}'
    return success_verdict(route, answer)


def fault_cases(faults):
    cases = []
    for fault in faults:
        for route_name, route in ROUTES.items():
            for stream in ([False] if route.get('no_stream') else [False, True]):
                cases.append({'part': 'upstream', 'name': f'{fault["name"]} / {route_name} / {"stream" if stream else "json"}',
                              'fault': fault, 'route': route, 'stream': stream})
    return cases


def known_defect(case):
    """The reason a fault case is a known defect owned elsewhere (its fault's "known" names the route and form), or None."""
    known = case.get('fault', {}).get('known')
    if not known:
        return None
    form = 'stream' if case.get('stream') else 'json'
    route = case['name'].split(' / ')[1]
    return known['why'] if route in known['routes'] and form in known.get('forms', ['json', 'stream']) else None


def run_fault(port, case, counter):
    fault, route, stream = case['fault'], case['route'], case['stream']
    within = float(fault.get('within', DEFAULT_WITHIN))
    nonce = f'n{next(counter)}'
    body = fault_body(route, fault['name'], stream, nonce)
    answer = exchange(port, request_bytes('POST', route['path'], body, {'Content-Type': 'application/json'}), within)
    return judge_fault(route, stream, fault['expect'], answer, within), answer


def expand_client(corpus):
    cases = []
    models = {'codex': CODEX_MODEL, 'claude': CLAUDE_MODEL}
    paths = {'chat': '/v1/chat/completions', 'responses': '/v1/responses', 'messages': '/v1/messages', 'count': '/v1/messages/count_tokens'}
    for item in corpus['bodies']:
        for door in item.get('doors', list(paths)):
            for family in item.get('models', list(models)):
                body = item['body'].replace('{MODEL}', models[family])
                if 'repeat' in item:
                    body = body.replace('{REPEAT}', item['repeat']['text'] * item['repeat']['times'])
                cases.append({'part': 'client', 'name': f'{item["name"]} / {door} / {family}', 'method': 'POST', 'path': paths[door],
                              'body': hexbytes(body), 'expect': item.get('expect', 'no5xx'), 'contains': item.get('contains'),
                              'within': item.get('within'), 'headers': {'Content-Type': 'application/json'}})
    for item in corpus['http']:
        for path in item.get('paths', list(paths.values())):
            raw = item['raw'].replace('{PATH}', path).replace('{KEY}', STATIC_KEY)
            if 'repeat' in item:
                raw = raw.replace('{REPEAT}', item['repeat']['text'] * item['repeat']['times'])
            cases.append({'part': 'client', 'name': f'{item["name"]} / {path}', 'path': path, 'raw': hexbytes(raw),
                          'pace': item.get('pace'), 'expect': item.get('expect', 'no5xx'), 'contains': item.get('contains'),
                          'within': item.get('within')})
    for group in ('admin', 'models'):
        for item in corpus[group]:
            headers = dict(item.get('headers', {}))
            if item.get('body') is not None:
                headers.setdefault('Content-Type', 'application/json')
            body = item.get('body') or ''
            if 'repeat' in item:
                body = body.replace('{REPEAT}', item['repeat']['text'] * item['repeat']['times'])
            key = item.get('key', ADMIN_KEY if group == 'admin' else STATIC_KEY)
            cases.append({'part': 'client', 'name': f'{group}: {item["name"]}', 'method': item.get('method', 'GET'),
                          'path': item['path'], 'body': hexbytes(body), 'key': key, 'headers': headers,
                          'expect': item.get('expect', 'no5xx'), 'contains': item.get('contains'), 'within': item.get('within')})
    return cases


def run_client(port, case, counter):
    within = float(case.get('within') or 15)
    if 'raw' in case:
        raw = case['raw']
        plan = None
        if case.get('pace'):
            # [{"split": n, "pause": s}]: send the first n bytes, pause, then one byte per pause (bounded by within)
            pace = case['pace']
            head = raw[:pace['after']]
            plan = [(head, pace['pause'])] + [(raw[i:i + 1], pace['pause']) for i in range(pace['after'], min(len(raw), pace['after'] + pace.get('bytes', 30)))]
        answer = exchange(port, raw, within, plan)
    else:
        answer = exchange(port, request_bytes(case['method'], case['path'], case['body'], case['headers'], case.get('key', STATIC_KEY)), within)
    return judge_client(case, answer, within), answer


def target_of(case):
    """The path godex sees: a raw request's own target (absolute form and dot segments resolved as Kestrel does)."""
    if 'raw' not in case:
        return case['path']
    target = case['raw'].split(b' ', 2)[1].decode('latin-1') if case['raw'].count(b' ') >= 2 else case['path']
    target = re.sub(r'^https?://[^/]+', '', target).split('?')[0]
    parts = []
    for segment in target.split('/')[1:]:
        if segment == '..':
            parts = parts[:-1]
        elif segment != '.':
            parts.append(segment)
    return '/' + '/'.join(parts)


def judge_client(case, answer, within):
    if answer.error == 'timeout':
        return f'hang: no answer within {within:.0f} s'
    if answer.status is None:
        return f'no answer ({answer.error})'
    expect = case['expect']
    if expect == 'no5xx':
        if answer.status >= 500:
            return f'status {answer.status} for client input: {answer.body[:200]!r}'
    elif answer.status not in expect:
        return f'status {answer.status}, expected one of {expect}: {answer.body[:200]!r}'
    if answer.status >= 400 and case.get('method') != 'HEAD':
        problem = error_shape(answer, 'openai' if case['path'].startswith('/admin') else dialect_of(target_of(case)))
        if problem:
            return problem
        if case.get('contains') and case['contains'].lower() not in answer.body.decode('utf-8', 'replace').lower():
            return f'the error does not name the problem ({case["contains"]!r}): {answer.body[:200]!r}'
    return None


# ---- harness -----------------------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_health(port, proc, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            answer = exchange(port, b'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', 2)
            if answer.status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def start(binary, extra_config='', config=None):
    """Starts the scripted upstream and godex pointed at it; returns (work dir, upstream, godex, godex port, log path)."""
    work = tempfile.mkdtemp(prefix='godex-hostile-')
    with open(os.path.join(work, 'auth.json'), 'w') as f:
        json.dump({'auth_mode': 'api_key', 'OPENAI_API_KEY': 'fake-codex-key'}, f)
    with open(os.path.join(work, 'config.yaml'), 'w') as f:
        f.write((config or CONFIG).format(admin_key=ADMIN_KEY) + extra_config)
    upstream = subprocess.Popen([sys.executable, os.path.join(HERE, 'upstream.py'), os.path.join(HERE, 'upstream-faults.json')],
                                stdout=subprocess.PIPE, stderr=open(os.path.join(work, 'upstream.log'), 'w'), text=True)
    up_port = int(upstream.stdout.readline().split()[1])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith('GODEX_') and k not in ('ANTHROPIC_API_KEY',)}
    env.update({'HOME': work, 'CODEX_HOME': work, 'CLAUDE_CONFIG_DIR': work})
    log_path = os.path.join(work, 'godex.log')
    godex = subprocess.Popen([binary, 'proxy', '--listen', f'127.0.0.1:{port}', '--simulator', 'off', '--config', os.path.join(work, 'config.yaml'),
                              '--base-url', f'http://127.0.0.1:{up_port}/backend-api/codex', '--auth-path', os.path.join(work, 'auth.json'),
                              '--anthropic-base-url', f'http://127.0.0.1:{up_port}', '--api-key', STATIC_KEY],
                             env=env, stdout=open(log_path, 'w'), stderr=subprocess.STDOUT)
    return work, upstream, godex, port, log_path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--part', choices=['client', 'upstream', 'all'], default='all')
    parser.add_argument('--binary', default=os.path.join(ROOT, 'artifacts/publish/Godex.Cli/release/godex'))
    parser.add_argument('--jobs', type=int, default=24)
    parser.add_argument('--only', default=None, help='run only the cases whose name contains this text')
    parser.add_argument('--verbose', action='store_true')
    parser.add_argument('--keep', action='store_true', help='keep the temp folder (godex log, config)')
    args = parser.parse_args()

    faults = json.load(open(os.path.join(HERE, 'upstream-faults.json')))['faults']
    corpus = json.load(open(os.path.join(HERE, 'client-cases.json')))
    work, upstream, godex, port, log_path = start(args.binary)
    passed = failed = 0
    try:
        if not wait_health(port, godex):
            print('hostile: godex did not start:\n' + open(log_path).read()[-3000:])
            print('0 passed, 1 failed')
            return 1
        cases = []
        if args.part in ('client', 'all'):
            cases += expand_client(corpus)
        if args.part in ('upstream', 'all'):
            cases += fault_cases(faults)
        if args.only:
            cases = [c for c in cases if args.only in c['name']]
        counter = iter(range(1, 1 << 30))
        lock = threading.Lock()
        results = {'client': [0, 0], 'upstream': [0, 0], 'harness': [0, 0]}
        failures = []
        known = []

        def play(case):
            run = run_fault if case['part'] == 'upstream' else run_client
            problem, answer = run(port, case, counter)
            why = known_defect(case)
            with lock:
                if problem and why:
                    # A defect this corpus found that is another issue's to fix: listed every run, counted neither way.
                    known.append((case['name'], problem, why))
                else:
                    results[case['part']][1 if problem else 0] += 1
                if problem and not why:
                    failures.append((case['part'], case['name'], problem))
                elif why and not problem:
                    print(f'note: {case["name"]} passes now; remove it from "known" in upstream-faults.json', flush=True)
                if args.verbose:
                    print(f'{"FAIL" if problem else "ok  "} {case["name"]}: {answer.status} in {answer.elapsed:.1f} s{" — " + problem if problem else ""}', flush=True)

        serial = [c for c in cases if c.get('fault', {}).get('serial')]
        parallel = [c for c in cases if not c.get('fault', {}).get('serial')]
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(play, parallel))
        for case in serial:
            play(case)
        if godex.poll() is not None:
            failures.append(('harness', 'godex', f'godex exited during the run (code {godex.returncode})'))
            results['harness'][1] += 1
        log = open(log_path, encoding='utf-8', errors='replace').read()
        for marker in ('Unhandled exception', 'An unhandled exception'):
            if marker in log:
                failures.append(('harness', 'godex log', f'the log has "{marker}" (see --keep)'))
                results['harness'][1] += 1
                break
        for name, problem, why in sorted(known):
            print(f'KNOWN {name}: {problem} ({why})')
        if known:
            print(f'hostile known defects (not counted): {len(known)}')
        for part, name, problem in sorted(failures):
            print(f'FAIL [{part}] {name}: {problem}')
        for part, (ok, bad) in results.items():
            if ok or bad:
                print(f'hostile {part}: {ok} passed, {bad} failed')
        passed = sum(r[0] for r in results.values())
        failed = sum(r[1] for r in results.values())
        print(f'hostile: {len(cases)} cases in {time.monotonic() - started:.0f} s (godex log: {log_path if args.keep else "removed"})')
        print(f'{passed} passed, {failed} failed')
        return 0 if failed == 0 else 1
    finally:
        godex.terminate()
        upstream.terminate()
        for proc in (godex, upstream):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
