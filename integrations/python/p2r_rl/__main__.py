"""`python -m p2r_rl score --in FILE --out FILE [options]`: the scoring CLI (see p2r_rl.scoring)."""

import sys

from .scoring import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m p2r_rl score --in FILE --out FILE [options]   (python -m p2r_rl score --help)")
        sys.exit(0 if argv else 2)
    if argv[0] != "score":
        print(f"p2r_rl: unknown command {argv[0]!r}; expected: score", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(argv[1:]))
