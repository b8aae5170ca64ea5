#!/usr/bin/env python3
"""Every directive the module registers is in docs/directives.md exactly once, and the
reference names no directive the module lacks (issue 22).

The module's directives are the `ngx_string!("credentialflow...")` names in src/ (the test-only
`credentialflow_panic_test` aside); the reference's are its `### name` headings (one heading
may name two directives, separated by a comma). Each reference entry must also have its
`Syntax:`, `Default:` and `Context:` lines, as on nginx.org.

Usage: scripts/check-directives.py        (exit 1 on any difference)
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
code = set()
for path in (root / "src").rglob("*.rs"):
    code.update(re.findall(r'(?:command|server_level)\(\s*ngx_string!\("(credentialflow[a-z_]*)"\)', path.read_text()))
code.discard("credentialflow_panic_test")

reference = (root / "docs" / "directives.md").read_text()
documented = []
problems = []
entries = re.split(r"^### ", reference, flags=re.M)[1:]
for entry in entries:
    heading, _, body = entry.partition("\n")
    names = [n.strip() for n in heading.split(",")]
    if not all(re.fullmatch(r"credentialflow[a-z_]*", n) for n in names):
        continue
    documented.extend(names)
    for field in ("Syntax:", "Default:", "Context:"):
        if not re.search(rf"^    {field}", body, re.M):
            problems.append(f"{heading}: no {field} line")

for name in sorted(code - set(documented)):
    problems.append(f"{name}: registered by the module, missing from docs/directives.md")
for name in sorted(set(documented) - code):
    problems.append(f"{name}: in docs/directives.md, but the module has no such directive")
for name in sorted({n for n in documented if documented.count(n) > 1}):
    problems.append(f"{name}: in docs/directives.md {documented.count(name)} times")

for problem in problems:
    print(f"check-directives: {problem}", file=sys.stderr)
print(f"check-directives: {len(code)} directives, {len(set(documented))} documented, "
      f"{len(problems)} problems")
sys.exit(1 if problems else 0)
