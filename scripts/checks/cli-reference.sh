#!/usr/bin/env bash
# Writes docs/cli.md, the reference of every `reel` command and flag, from the
# binary's own --help (so it cannot drift from the code). Builds reel first.
#   scripts/checks/cli-reference.sh            # rewrites docs/cli.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
swift build >&2
reel="$(swift build --show-bin-path)/reel"
python3 - "$reel" > docs/cli.md <<'PY'
import os, re, subprocess, sys
reel = sys.argv[1]
# Defaults shown by --help must not depend on (or reveal) this shell's settings.
clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}

def help_of(path):
    out = subprocess.run([reel, *path, "--help"], capture_output=True, text=True, env=clean)
    return (out.stdout or out.stderr).rstrip()

def subcommands(text):
    m = re.search(r"^SUBCOMMANDS:\n(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    if not m:
        return []
    names = []
    for line in m.group(1).splitlines():
        w = line.strip().split()
        if w and line.startswith("  ") and not line.startswith("        "):
            names.append(w[0])
    return names

print("# The `reel` command line\n")
print("Every command and flag, as `reel … --help` prints them (written by `scripts/checks/cli-reference.sh`;")
print("do not edit by hand). Every listing takes `--json`. Shell completions:")
print("`reel --generate-completion-script bash` (or `zsh`, `fish`), e.g.")
print("`reel --generate-completion-script bash > /etc/bash_completion.d/reel`.")
print("Environment variables are in docs/configuration.md (and, briefly, README.md).\n")

def walk(path, depth):
    text = help_of(path)
    if path:
        print(f"{'#' * min(depth + 1, 4)} `reel {' '.join(path)}`\n")
        print("```")
        print(text)
        print("```\n")
    for sub in subcommands(text):
        if sub == "help":
            continue
        walk(path + [sub], depth + 1)

walk([], 1)
PY
echo "wrote docs/cli.md" >&2
