#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs several rpm transactions in one process through librpm's Python bindings, as
# PackageKit, dnf5daemon or a python-rpm script do: one process, so every scriptlet of
# every transaction has the same parent. Needs python3-rpm (Debian) or python3-rpm (Fedora).
#
#   rpm-transactions.py ROOT DBPATH STEP [-- STEP]...
#   STEP: install FILE.rpm...  |  upgrade FILE.rpm...  |  erase NAME...
#
# Dependencies are not checked (as rpm --nodeps). Prints each transaction's problems and
# exits 1 when one of them fails.
import os
import sys

import rpm


def steps(args):
    step = []
    for a in args:
        if a == "--":
            yield step
            step = []
        else:
            step.append(a)
    yield step


def callback(reason, amount, total, key, data):
    # rpm asks for each package file to install and hands it back when done.
    if reason == rpm.RPMCALLBACK_INST_OPEN_FILE:
        data[key] = os.open(key, os.O_RDONLY)
        return data[key]
    if reason == rpm.RPMCALLBACK_INST_CLOSE_FILE:
        os.close(data.pop(key))
    return None


def run(root, action, names):
    ts = rpm.TransactionSet(root)
    ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    for name in names:
        if action == "erase":
            ts.addErase(name)
        else:
            fd = os.open(name, os.O_RDONLY)
            try:
                header = ts.hdrFromFdno(fd)
            finally:
                os.close(fd)
            ts.addInstall(header, name, "u" if action == "upgrade" else "i")
    ts.order()
    problems = ts.run(callback, {})
    ts.closeDB()
    if problems:
        print("%s %s: %s" % (action, " ".join(names), problems), file=sys.stderr)
        return False
    return True


def main():
    if len(sys.argv) < 4:
        print(__doc__ or "usage: rpm-transactions.py ROOT DBPATH STEP [-- STEP]...", file=sys.stderr)
        return 2
    root, dbpath = sys.argv[1], sys.argv[2]
    rpm.addMacro("_dbpath", dbpath)
    ok = True
    for step in steps(sys.argv[3:]):
        if len(step) < 2 or step[0] not in ("install", "upgrade", "erase"):
            print("bad step: %s" % " ".join(step), file=sys.stderr)
            return 2
        ok = run(root, step[0], step[1:]) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
