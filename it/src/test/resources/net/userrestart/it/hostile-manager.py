#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A user's own D-Bus server on their manager's socket, hostile on purpose (issue 15).

Run as the user, in /run/user/UID/systemd after moving the real socket away:
    hostile-manager.py MODE
It passes SASL EXTERNAL and answers like a systemd user manager (Get Version, Reexecute by
hanging up, ListUnits*, TryRestartUnit, EnqueueMarkedJobs), but:
  amplify  every text is long and full of terminal and journal controls, TryRestartUnit fails
           with such a text, and EnqueueMarkedJobs names 1024 jobs that never end;
  flood    1024 JobRemoved signals with 48 KiB paths, then an EnqueueMarkedJobs reply of
           43,000 paths (about 1 MiB);
  busy     once asked for units, replies to serials never used, without pause, until hung up on;
  rows     a ListUnits* reply of as many rows as fit in 256 KiB, which parse into most.
"""
import socket
import struct
import sys
import threading

MODE = sys.argv[1]
PATH = '/org/freedesktop/systemd1'
JOB = PATH + '/job/'
EVIL = '\x1b[2J\r\n<0>forged by the user\x07\u009b31m\u0085' + 'x' * 100_000


class Writer:
    """Marshals little-endian D-Bus values; offsets count from the message's start."""

    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        self.b += b'\0' * (-len(self.b) % n)

    def u32(self, v):
        self.align(4)
        self.b += struct.pack('<I', v)

    def s(self, v):
        d = v.encode('utf-8', 'surrogatepass')
        self.u32(len(d))
        self.b += d + b'\0'

    def g(self, v):
        d = v.encode()
        self.b.append(len(d))
        self.b += d + b'\0'

    def strings(self, values):
        self.u32(0)
        at = len(self.b)
        for v in values:
            self.s(v)
        struct.pack_into('<I', self.b, at - 4, len(self.b) - at)

    def unit_rows(self, names):
        self.u32(0)
        length_at = len(self.b) - 4
        self.align(8)
        at = len(self.b)
        for name in names:
            self.align(8)
            for v in (name, 'demo', 'loaded', 'active', 'running', ''):
                self.s(v)
            self.s(PATH + '/unit/x')
            self.u32(0)
            self.s('')
            self.s('/')
        struct.pack_into('<I', self.b, length_at, len(self.b) - at)


def message(kind, serial, fields, sig, body=None):
    w = Writer()
    if body:
        body(w)
    h = Writer()
    h.b += b'l' + bytes([kind, 0, 1])
    h.u32(len(w.b))
    h.u32(serial)
    h.u32(0)
    if sig:
        fields = fields + [(8, 'g', sig)]
    for code, s, v in fields:
        h.align(8)
        h.b.append(code)
        h.g(s)
        {'s': h.s, 'o': h.s, 'g': h.g, 'u': h.u32}[s](v)
    struct.pack_into('<I', h.b, 12, len(h.b) - 16)
    h.align(8)
    return bytes(h.b + w.b)


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.serial = 1000

    def send(self, data):
        self.sock.sendall(data)

    def next_serial(self):
        self.serial += 1
        return self.serial

    def reply(self, call, sig, body=None):
        self.send(message(2, self.next_serial(), [(5, 'u', call)], sig, body))

    def error(self, call, name, text):
        self.send(message(3, self.next_serial(), [(4, 's', name), (5, 'u', call)], 's',
                          lambda w: w.s(text)))

    def job_removed(self, job, unit, result):
        self.send(message(4, self.next_serial(),
                          [(1, 'o', PATH), (2, 's', 'org.freedesktop.systemd1.Manager'),
                           (3, 's', 'JobRemoved')], 'uoss',
                          lambda w: (w.u32(1), w.s(job), w.s(unit), w.s(result))))

    def read(self, n):
        data = b''
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def authenticate(self):
        data = b''
        while b'BEGIN\r\n' not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError
            data += chunk
        self.send(b'OK 0123456789abcdef0123456789abcdef\r\n')

    def calls(self):
        """Yields (serial, member) of each method call."""
        while True:
            fixed = self.read(16)
            body_length, serial, fields_length = struct.unpack_from('<III', fixed, 4)
            fields = self.read(fields_length + (-fields_length % 8))
            self.read(body_length)
            if fixed[1] == 1:
                yield serial, member(fields)


def member(h):
    i = 0
    while i < len(h):
        i += -i % 8
        if i >= len(h):
            break
        code, n = h[i], h[i + 1]
        sig = h[i + 2:i + 2 + n].decode()
        i += 3 + n
        if sig in ('s', 'o'):
            i += -i % 4
            (length,) = struct.unpack_from('<I', h, i)
            value = h[i + 4:i + 4 + length].decode()
            i += 5 + length
            if code == 3:
                return value
        elif sig == 'g':
            i += 2 + h[i]
        elif sig == 'u':
            i += -i % 4 + 4
        else:
            return None
    return None


def busy(c):
    one = message(2, 7, [(5, 'u', 4_000_000_000)], '')
    block = one * 1024
    while True:
        c.send(block)


def serve(sock):
    c = Connection(sock)
    try:
        c.authenticate()
        for serial, name in c.calls():
            if name == 'Get':
                version = EVIL if MODE == 'amplify' else '253-hostile'
                c.reply(serial, 'v', lambda w: (w.g('s'), w.s(version)))
            elif name == 'Reexecute':
                return
            elif name in ('ListUnitsByNames', 'ListUnitsByPatterns'):
                if MODE == 'busy':
                    busy(c)
                rows = [''] * 2000 if MODE == 'rows' else ['sur-demo.service']
                c.reply(serial, 'a(ssssssouso)', lambda w: w.unit_rows(rows))
            elif name in ('TryRestartUnit', 'ReloadOrTryRestartUnit'):
                if MODE == 'amplify':
                    c.error(serial, 'org.example.Evil', EVIL)
                else:
                    c.reply(serial, 'o', lambda w: w.s(JOB + '1'))
            elif name == 'EnqueueMarkedJobs':
                if MODE == 'amplify':
                    jobs = [JOB + str(100_000 + i) for i in range(1024)]
                else:
                    big = JOB + '1' * (48 * 1024)
                    for i in range(1024):
                        c.job_removed(big + str(i), 'sur-demo.service', 'done')
                    jobs = [JOB + str(i) for i in range(43_000)]
                c.reply(serial, 'ao', lambda w: w.strings(jobs))
            else:
                c.error(serial, 'org.freedesktop.DBus.Error.UnknownMethod', 'no ' + str(name))
    except (EOFError, OSError):
        pass
    finally:
        sock.close()


def main():
    server = socket.socket(socket.AF_UNIX)
    server.bind('private')
    server.listen(64)
    while True:
        sock, _ = server.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


main()
