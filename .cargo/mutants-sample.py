#!/usr/bin/env python3
"""Test sample K of N of the mutants of the rest of `engine/src/` (all but
`translate/`), a sample whose membership survives edits (TESTING.md,
"Mutation testing").

`--shard K/N` deals mutants round-robin in listing order, so an edit that
adds or removes one mutant moves every later mutant to another shard: a
new shard can then hold the neighbours of a shard already sampled and
fixed. Here a mutant's identity is its name without line and column, plus
how many mutants of the same identity come before it in the listing; it
is in sample K when sha256(identity) % N == K. An edit moves only the
mutants it touches.

    python3 .cargo/mutants-sample.py K N           # test the sample
    python3 .cargo/mutants-sample.py K N --list    # only list it

cargo-mutants 27.1 applies its name filter (`-F`) to every mutant except
those that delete a field from a struct expression: all of those (27 in
the rest of `engine/src/` at 33f5940) come along with any sample.
"""

import collections
import hashlib
import json
import re
import subprocess
import sys

FILES = ["-f", "engine/src/**/*.rs", "-e", "engine/src/translate/*.rs"]
TEST = [
    "--test-package", "kiln",
    "--test-package", "kiln-spec-tests",
    "--test-package", "kiln-differential",
    "--test-package", "kiln-cli",
]


def sample(k, n):
    listing = subprocess.run(
        ["cargo", "mutants", "--list", "--json", *FILES],
        check=True, capture_output=True, text=True,
    ).stdout
    seen = collections.Counter()
    names = []
    for mutant in json.loads(listing):
        identity = re.sub(r":\d+:\d+:", ":", mutant["name"])
        seen[identity] += 1
        digest = hashlib.sha256(f"{identity}#{seen[identity]}".encode()).hexdigest()
        if int(digest, 16) % n == k:
            names.append(mutant["name"])
    return names


def main():
    k, n = int(sys.argv[1]), int(sys.argv[2])
    names = sample(k, n)
    escape = lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s)
    args = ["cargo", "mutants", "--in-place", *FILES]
    for name in names:
        args += ["-F", f"^{escape(name)}$"]
    args += ["--list"] if "--list" in sys.argv[3:] else TEST
    print(f"sample {k}/{n}: {len(names)} mutants", file=sys.stderr)
    sys.exit(subprocess.call(args))


if __name__ == "__main__":
    main()
