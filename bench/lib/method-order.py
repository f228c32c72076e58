#!/usr/bin/env python3
"""The order of godex's hot managed methods for the native compiler (IlcOrderFile): every managed method the request
paths of the callgrind dumps executed, the most executed first, one mangled name per line.

    bench/lib/method-order.py GODEX DUMP... [--then DUMP...] > src/Godex.Cli/hot-methods.txt

GODEX is the binary the dumps measured (its godex.dbg beside it names the functions); the dumps come from
bench/instructions.sh with KEEP_CALLGRIND. The methods of the dumps after --then (the start, KEEP_STARTUP) follow the
others, the most executed first. Runtime (C++) and assembly helpers are left out: the order file places
managed methods only."""
import collections
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("callgrind_diff", os.path.join(HERE, "callgrind-diff.py"))
callgrind_diff = importlib.util.module_from_spec(spec)
spec.loader.exec_module(callgrind_diff)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, args = sys.argv[1], sys.argv[2:]
    groups = [args[:args.index("--then")], args[args.index("--then") + 1:]] if "--then" in args else [args]
    _, names = callgrind_diff.symbols(binary)
    known = set(names)
    placed, seen = [], set()
    for dumps in groups:
        total = collections.Counter()
        for dump in dumps:
            total.update(callgrind_diff.self_per_request(dump, binary))
        for name, count in total.most_common():
            if count > 0 and name in known and not name.startswith(("_Z", "Rhp", "__")) and "[" not in name and name not in seen:
                placed.append(name)
                seen.add(name)
        print(f"{len(placed)} managed methods after {len(dumps)} dumps", file=sys.stderr)
    print("\n".join(placed))


if __name__ == "__main__":
    main()
