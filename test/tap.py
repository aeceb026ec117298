"""TAP for test checks written in Python (Debian's /usr/bin/python3).

    sys.path.insert(0, os.environ["OPSPIPE_TOP"] + "/test")
    from tap import tap, counts
    tap(got == want, "what a user relies on", got, want)

Lines are "ok N - name" / "not ok N - name" plus "#   detail" lines on
failure, as test/lib.sh writes them; counts() gives (tests, failures) so a
shell script can carry on numbering after the Python part.
"""

_count = 0
_failed = 0


def tap(ok, name, *detail):
    global _count, _failed
    _count += 1
    _failed += not ok
    print("%sok %d - %s" % ("" if ok else "not ", _count, name))
    for d in detail if not ok else ():
        print("#   " + str(d)[:400])
    return ok


def counts():
    return _count, _failed
