#!/bin/sh
# A bisection of a planted bug: a toy git repository (under /tmp) whose scheme file, examples/good_scheme.c,
# loses its sequence recheck in the sixth of seven commits (the fourth does not
# compile: bisect-step says skip). A known-bad campaign at HEAD gives the failure
# rate; `git bisect run` then calls bisect-step at every commit it tries.
#   sh examples/campaigns/bisect_demo.sh        (from the repository root, in the harness's venv)
set -e
here=$(pwd)
toy=$(mktemp -d /tmp/harness-bisect-demo.XXXXXX)
cd "$toy"
git init -q && git config user.email demo@example.com && git config user.name demo
cp "$here/examples/good_scheme.c" scheme.c
commit() { git add scheme.c && git commit -qm "$1"; }
commit "1: the correct scheme"
sed -i 's/#define FAST_TRIES 3/#define FAST_TRIES 4/' scheme.c && commit "2: one more fast try"
echo "/* fast tries: see the design note at the top */" >> scheme.c && commit "3: a note"
sed -i 's/#define FAST_TRIES 4/#define FAST_TRIES 5 +/' scheme.c && commit "4: five fast tries (a typo: does not compile)"
sed -i 's/#define FAST_TRIES 5 +/#define FAST_TRIES 5/' scheme.c && commit "5: fix the build"
sed -i 's/if (READ_ONCE(cs->seq) == seq) {/if (1) {   \/* "the pointer recheck is enough" *\//' scheme.c
commit "6: drop the sequence recheck (the planted bug)"
echo "/* tidy */" >> scheme.c && commit "7: tidy"
cat > known-bad.toml <<'TOML'
replicas = 3
[matrix]
scheme_file = "scheme.c"
readers = 1
writers = 1
duration = "1s"
until_violation = true
TOML
python -m harness campaign run known-bad.toml --out "$toy/known-bad" | tail -3 || true   # exits 1: it fails
git bisect start HEAD "$(git rev-list --max-parents=0 HEAD)"
git bisect run python -m harness bisect-step "$toy/known-bad" --confidence 0.95
git bisect reset
