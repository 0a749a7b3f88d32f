#!/usr/bin/env python3
"""Where do a server's extra instructions go? Compares two callgrind outputs
of bench/compare.sh (<target dir>/bench/callgrind/*.out), per request.

  bench/cgdiff.py FLOOR.out LOGIN.out [N] [--inclusive] [--grep REGEX] [--top K]

Prints, per function, Ir per request in each file and the difference,
sorted by the difference: self cost by default, inclusive cost (callees
included) with --inclusive. N is the number of measured requests (2000).
"""
import re
import subprocess
import sys

LINE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(.*?)\s*(\[[^\]]*\])?\s*$")


def load(path, inclusive):
    cmd = ["callgrind_annotate", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    costs, started = {}, False
    for line in out.splitlines():
        if "file:function" in line:
            started = True
            continue
        if not started:
            continue
        m = LINE.match(line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        name = m.group(2)
        name = name.split(":", 1)[1] if ":" in name.split("(")[0] and not name.startswith("<") else name
        name = re.sub(r"^\?\?\?:", "", name)
        costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    inclusive = "--inclusive" in argv
    top = 40
    pattern = None
    if "--top" in argv:
        top = int(argv[argv.index("--top") + 1])
        args.remove(str(top))
    if "--grep" in argv:
        pattern = re.compile(argv[argv.index("--grep") + 1])
        args.remove(pattern.pattern)
    if len(args) < 2:
        sys.exit(__doc__)
    n = int(args[2]) if len(args) > 2 else 2000
    a, b = load(args[0], inclusive), load(args[1], inclusive)
    rows = []
    for name in set(a) | set(b):
        if pattern and not pattern.search(name):
            continue
        rows.append((b.get(name, 0) / n - a.get(name, 0) / n, a.get(name, 0) / n, b.get(name, 0) / n, name))
    rows.sort(key=lambda r: -abs(r[0]))
    print(f"{'delta':>9} {'floor':>9} {'other':>9}  function ({'inclusive' if inclusive else 'self'} Ir per request)")
    for d, x, y, name in rows[:top]:
        print(f"{d:>+9.0f} {x:>9.0f} {y:>9.0f}  {name[:150]}")


if __name__ == "__main__":
    main(sys.argv[1:])
