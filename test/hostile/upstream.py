#!/usr/bin/env python3
"""A scripted hostile upstream for godex's hostile corpus (test/hostile).

A raw-socket HTTP/1.1 server on 127.0.0.1 that speaks both upstream wires godex calls: the Codex backend's
Responses SSE (POST .../responses), Anthropic Messages (POST /v1/messages, SSE or JSON), count_tokens and the
model lists. By default it answers like a healthy upstream. A request whose body holds the marker
`hostile-fault:<name>` gets the fault of that name from upstream-faults.json instead: a list of steps
(send a head, send events, go silent, reset the connection, drip bytes, ...) run on the raw socket.

Usage: upstream.py FAULTS.json [--port N]; prints "listening PORT" on stdout once it accepts connections.
Python 3.11 standard library only; loopback only; every wait is bounded.
"""
import asyncio
import json
import re
import socket
import struct
import sys

MARKER = re.compile(rb'hostile-fault:([a-z0-9_.-]+)')
NONCE = re.compile(rb'hostile-nonce:([A-Za-z0-9]+)')
MAX_HOLD = 120.0  # the longest any step keeps a connection, whatever the script says

FAULTS: dict = {}
ATTEMPTS: dict = {}  # nonce -> how many times godex has sent that request (its retries)


class Request:
    def __init__(self, method, path, headers, body):
        self.method, self.path, self.headers, self.body = method, path, headers, body

    @property
    def wire(self):
        path = self.path.split('?')[0]
        if self.method == 'GET':
            return 'models'
        if path.endswith('/responses'):
            return 'codex'
        if path.endswith('/count_tokens'):
            return 'count'
        if path.endswith('/v1/messages'):
            return 'anthropic'
        if path.endswith('/token'):
            return 'oauth'
        return 'unknown'

    @property
    def stream(self):
        if self.wire == 'codex':
            return True
        try:
            return bool(json.loads(self.body).get('stream'))
        except (ValueError, AttributeError):
            return False

    @property
    def model(self):
        try:
            model = json.loads(self.body).get('model')
            return model if isinstance(model, str) else 'unknown'
        except (ValueError, AttributeError):
            return 'unknown'


async def read_request(reader):
    head = await reader.readuntil(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    method, path, _ = (lines[0].split(' ', 2) + ['', ''])[:3]
    headers = {}
    for line in lines[1:]:
        if ':' in line:
            name, value = line.split(':', 1)
            headers[name.strip().lower()] = value.strip()
    body = b''
    if 'content-length' in headers:
        body = await reader.readexactly(int(headers['content-length']))
    elif headers.get('transfer-encoding', '').lower() == 'chunked':
        while True:
            size = int((await reader.readuntil(b'\r\n')).split(b';')[0], 16)
            if size == 0:
                await reader.readuntil(b'\r\n')
                break
            body += await reader.readexactly(size)
            await reader.readuntil(b'\r\n')
    return Request(method, path, headers, body)


# ---- what a healthy upstream says ------------------------------------------------------------------------------

TEXT = ['Hello', ' from', ' the', ' hostile', ' upstream', '.']


def codex_events(model):
    rid = 'resp_hostile0001'
    base = {'id': rid, 'object': 'response', 'created_at': 1700000000, 'model': model, 'output': [],
            'status': 'in_progress', 'usage': None}
    text = ''.join(TEXT)
    item = {'id': 'msg_hostile0001', 'type': 'message', 'status': 'completed', 'role': 'assistant',
            'content': [{'type': 'output_text', 'annotations': [], 'text': text}]}
    events = [('response.created', {'type': 'response.created', 'sequence_number': 0, 'response': base}),
              ('response.in_progress', {'type': 'response.in_progress', 'sequence_number': 1, 'response': base}),
              ('response.output_item.added', {'type': 'response.output_item.added', 'sequence_number': 2, 'output_index': 0,
                                              'item': dict(item, status='in_progress', content=[])}),
              ('response.content_part.added', {'type': 'response.content_part.added', 'sequence_number': 3, 'item_id': item['id'],
                                               'output_index': 0, 'content_index': 0,
                                               'part': {'type': 'output_text', 'annotations': [], 'text': ''}})]
    for i, delta in enumerate(TEXT):
        events.append(('response.output_text.delta', {'type': 'response.output_text.delta', 'sequence_number': 4 + i,
                                                        'item_id': item['id'], 'output_index': 0, 'content_index': 0,
                                                        'delta': delta}))
    n = 4 + len(TEXT)
    events += [('response.output_text.done', {'type': 'response.output_text.done', 'sequence_number': n, 'item_id': item['id'],
                                              'output_index': 0, 'content_index': 0, 'text': text}),
               ('response.output_item.done', {'type': 'response.output_item.done', 'sequence_number': n + 1, 'output_index': 0,
                                              'item': item}),
               ('response.completed', {'type': 'response.completed', 'sequence_number': n + 2,
                                       'response': dict(base, status='completed', output=[item],
                                                        usage={'input_tokens': 12, 'input_tokens_details': {'cached_tokens': 0},
                                                               'output_tokens': 6, 'output_tokens_details': {'reasoning_tokens': 0},
                                                               'total_tokens': 18})})]
    return events


def anthropic_events(model):
    events = [('message_start', {'type': 'message_start', 'message': {
        'id': 'msg_hostile0001', 'type': 'message', 'role': 'assistant', 'model': model, 'content': [],
        'stop_reason': None, 'stop_sequence': None, 'usage': {'input_tokens': 12, 'output_tokens': 1}}}),
        ('content_block_start', {'type': 'content_block_start', 'index': 0, 'content_block': {'type': 'text', 'text': ''}}),
        ('ping', {'type': 'ping'})]
    for delta in TEXT:
        events.append(('content_block_delta', {'type': 'content_block_delta', 'index': 0,
                                               'delta': {'type': 'text_delta', 'text': delta}}))
    events += [('content_block_stop', {'type': 'content_block_stop', 'index': 0}),
               ('message_delta', {'type': 'message_delta', 'delta': {'stop_reason': 'end_turn', 'stop_sequence': None},
                                  'usage': {'output_tokens': 6}}),
               ('message_stop', {'type': 'message_stop'})]
    return events


def anthropic_message(model):
    return {'id': 'msg_hostile0001', 'type': 'message', 'role': 'assistant', 'model': model,
            'content': [{'type': 'text', 'text': ''.join(TEXT)}], 'stop_reason': 'end_turn', 'stop_sequence': None,
            'usage': {'input_tokens': 12, 'output_tokens': 6}}


def ok_body(req):
    """(content type, body bytes, [event frames]) of a healthy answer to req."""
    wire = req.wire
    if wire == 'models':
        if req.path.startswith('/v1/models'):
            return 'application/json', json.dumps({'data': [{'type': 'model', 'id': 'claude-sonnet-4-5', 'display_name': 'Claude Sonnet 4.5',
                                                             'created_at': '2025-09-29T00:00:00Z'}], 'has_more': False}).encode(), None
        return 'application/json', json.dumps({'models': []}).encode(), None
    if wire == 'count':
        return 'application/json', json.dumps({'input_tokens': 42}).encode(), None
    if wire == 'oauth':
        return 'application/json', json.dumps({'error': 'invalid_grant'}).encode(), None
    if wire == 'codex' or (wire == 'anthropic' and req.stream):
        events = codex_events(req.model) if wire == 'codex' else anthropic_events(req.model)
        frames = [f'event: {name}\ndata: {json.dumps(data, separators=(",", ":"))}\n\n'.encode() for name, data in events]
        return 'text/event-stream', b''.join(frames), frames
    if wire == 'anthropic':
        return 'application/json', json.dumps(anthropic_message(req.model)).encode(), None
    return 'application/json', json.dumps({'error': {'message': 'unknown path', 'type': 'not_found'}}).encode(), None


def wire_error(req, status, message):
    if req.wire in ('anthropic', 'count', 'models') and req.path.startswith('/v1/'):
        kinds = {400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
                 413: 'request_too_large', 429: 'rate_limit_error', 529: 'overloaded_error'}
        return {'type': 'error', 'error': {'type': kinds.get(status, 'api_error'), 'message': message}}
    return {'error': {'message': message, 'type': 'server_error' if status >= 500 else 'invalid_request_error', 'code': None}}


REASONS = {200: 'OK', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect',
           308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
           408: 'Request Timeout', 409: 'Conflict', 413: 'Payload Too Large', 422: 'Unprocessable Entity',
           429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
           504: 'Gateway Timeout', 529: 'Overloaded'}


# ---- running a script ------------------------------------------------------------------------------------------

class Conn:
    def __init__(self, reader, writer, req):
        self.reader, self.writer, self.req = reader, writer, req
        self.chunked = False
        self.closed = False

    async def write(self, data, framed=True):
        if self.closed or not data:
            return
        if framed and self.chunked:
            data = f'{len(data):x}\r\n'.encode() + data + b'\r\n'
        self.writer.write(data)
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            self.closed = True

    async def hold(self, seconds):
        """Waits up to `seconds`, ending early when the peer closes (godex gave up)."""
        try:
            data = await asyncio.wait_for(self.reader.read(1), timeout=min(seconds, MAX_HOLD))
            if not data:
                self.closed = True
        except asyncio.TimeoutError:
            pass
        except (ConnectionError, OSError):
            self.closed = True


def text(value):
    """A string from the script: literal, or {"repeat": s, "times": n} (s may number itself with {i})."""
    if isinstance(value, dict):
        part = value['repeat']
        return ''.join(part.format(i=i) for i in range(value['times'])) if '{i}' in part else part * value['times']
    return value


def head_bytes(status, headers, reason=None):
    lines = [f'HTTP/1.1 {status} {reason or REASONS.get(status, "Status")}']
    lines += [f'{name}: {text(value)}' for name, value in headers]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')


def frame(name, data):
    text = data if isinstance(data, str) else json.dumps(data, separators=(',', ':'))
    return (f'event: {name}\n' if name else '').encode() + b''.join(b'data: ' + line.encode() + b'\n' for line in text.split('\n')) + b'\n'


def expand(value, req):
    """Per-wire step lists: a dict picks by the request's wire (codex, anthropic, count, models) and the kind of answer
    asked for (sse or json): "json" first for a JSON answer, else the wire, then "sse"; then "default"."""
    if isinstance(value, dict):
        kind = 'sse' if req.wire == 'codex' or (req.wire == 'anthropic' and req.stream) else 'json'
        for key in ((kind, req.wire, 'default') if kind == 'json' else (req.wire, kind, 'default')):
            if key in value:
                return value[key]
        return []
    return value


async def run_steps(conn, steps):
    req = conn.req
    for step in expand(steps, req):
        if conn.closed:
            return
        if 'ok' in step:
            content_type, body, _ = ok_body(req)
            await conn.write(head_bytes(200, [('Content-Type', content_type), ('Content-Length', str(len(body))), ('Connection', 'close')]), False)
            await conn.write(body, False)
        elif 'respond' in step:
            r = step['respond']
            body = r.get('body')
            if body is None:
                body = wire_error(req, r['status'], r.get('message', f'hostile upstream says {r["status"]}'))
            data = body.encode() if isinstance(body, str) else bytes.fromhex(body['hex']) if isinstance(body, dict) and 'hex' in body else json.dumps(body).encode()
            headers = [('Content-Type', r.get('type', 'application/json')), ('Content-Length', str(len(data))), ('Connection', 'close')]
            headers += [(k, v) for k, v in r.get('headers', {}).items()]
            await conn.write(head_bytes(r['status'], headers, r.get('reason')), False)
            await conn.write(data, False)
        elif 'head' in step:
            content_type = {'sse': 'text/event-stream', 'json': 'application/json'}.get(step.get('type', 'auto'))
            if content_type is None:
                content_type = ok_body(req)[0] if step.get('type', 'auto') == 'auto' else step['type']
            headers = [('Content-Type', content_type)] if content_type else []
            framing = step.get('framing', 'close')
            if framing == 'chunked':
                headers.append(('Transfer-Encoding', 'chunked'))
                conn.chunked = True
            elif isinstance(framing, int):
                headers.append(('Content-Length', str(framing)))
            headers.append(('Connection', 'close'))
            headers += [(k, v) for k, v in step.get('headers', {}).items()]
            await conn.write(head_bytes(step['head'], headers, step.get('reason')), False)
        elif 'events' in step:
            _, body, frames = ok_body(req)
            count = step['events']
            if frames is None:  # a JSON wire: "events" sends the start of the document
                await conn.write(body if count == 'all' else body[:max(1, len(body) // 2)])
            else:
                for f in (frames if count == 'all' else frames[:count]):
                    await conn.write(f)
        elif 'skip_events' in step:
            _, _, frames = ok_body(req)
            for f in (frames or [])[step['skip_events']:]:
                await conn.write(f)
        elif 'event' in step:
            e = step['event']
            await conn.write(frame(e.get('event'), e.get('data', '')))
        elif 'big_event' in step:
            size = step['big_event']
            if req.wire == 'codex':
                data = {'type': 'response.output_text.delta', 'sequence_number': 99, 'item_id': 'msg_hostile0001', 'output_index': 0,
                        'content_index': 0, 'delta': 'x' * size}
                await conn.write(frame('response.output_text.delta', data))
            else:
                data = {'type': 'content_block_delta', 'index': 0, 'delta': {'type': 'text_delta', 'text': 'x' * size}}
                await conn.write(frame('content_block_delta', data))
        elif 'send' in step:
            await conn.write(text(step['send']).encode())
        elif 'send_hex' in step:
            await conn.write(bytes.fromhex(step['send_hex']))
        elif 'raw' in step:
            await conn.write(text(step['raw']).encode('latin-1'), False)
        elif 'raw_hex' in step:
            await conn.write(bytes.fromhex(step['raw_hex']), False)
        elif 'sleep' in step:
            await conn.hold(step['sleep'])
        elif 'drip' in step:
            _, body, _ = ok_body(req)
            data = body if step['drip'] == 'ok' else step['drip'].encode()
            data = data[:step.get('limit', len(data))]
            for i in range(len(data)):
                await conn.write(data[i:i + 1], True)
                if conn.closed:
                    return
                await conn.hold(step.get('interval', 1.0))
        elif 'repeat' in step:
            for _ in range(step.get('times', 1)):
                await run_steps(conn, step['repeat'])
        elif 'reset' in step:
            sock = conn.writer.get_extra_info('socket')
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            conn.writer.transport.abort()
            conn.closed = True
        elif 'close' in step:
            if conn.chunked and step.get('end_chunks', True):
                await conn.write(b'0\r\n\r\n', False)
            conn.closed = True
        else:
            raise ValueError(f'unknown step {step}')


async def handle(reader, writer):
    try:
        req = await asyncio.wait_for(read_request(reader), timeout=30)
        match = MARKER.search(req.body)
        fault = FAULTS.get(match.group(1).decode()) if match else None
        conn = Conn(reader, writer, req)
        if fault is None or req.wire == 'models':
            await run_steps(conn, [{'ok': True}])
        elif 'attempts' in fault:
            nonce = NONCE.search(req.body)
            key = (nonce.group(1) if nonce else b'') + b'/' + req.wire.encode()
            attempt = ATTEMPTS.get(key, 0)
            ATTEMPTS[key] = attempt + 1
            await run_steps(conn, fault['attempts'][min(attempt, len(fault['attempts']) - 1)])
        else:
            await run_steps(conn, fault['steps'])
            if conn.chunked and not conn.closed:
                await conn.write(b'0\r\n\r\n', False)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError, OSError, ValueError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, OSError, RuntimeError):
            pass


async def main():
    global FAULTS
    FAULTS = {f['name']: f for f in json.load(open(sys.argv[1]))['faults']}
    port = int(sys.argv[sys.argv.index('--port') + 1]) if '--port' in sys.argv else 0
    server = await asyncio.start_server(handle, '127.0.0.1', port, limit=64 * 1024 * 1024, backlog=512)
    print('listening', server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
