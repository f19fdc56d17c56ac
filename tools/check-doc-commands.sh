#!/usr/bin/env bash
# Runs every command the README and docs/*.md show, the way a newcomer would type them.
#
#   tools/check-doc-commands.sh [--page FILE]... [--skip-slow] [--with-frameworks]
#                               [--here] [--timeout SECONDS] [--list] [--keep]
#
# Convention for the pages (docs/architecture.md, "Commands in the docs"):
#   - a ```sh block holds commands, one per line (a trailing `\` continues a line, `# ...`
#     is a comment); a ```text block holds output. Other fences (yaml, json, python,
#     swift) are not run. ```bash, ```console and ```shell are refused: use ```sh.
#   - commands run from the repository's root with .build/release on PATH, so `tessera`
#     is the freshly built binary. The commands of one page run in order in one shell
#     state: a variable set by one line (T=.build/release/tessera) or a `cd` holds for
#     the page's later lines. Every page starts afresh at the root.
#   - no placeholders: `<file>`, `...` or `[--option]` in a ```sh block fail; use real
#     files (examples/, Tests/TesseraTests/Fixtures/).
#   - an HTML comment on the line directly before a block marks all its commands:
#     <!-- slow -->              skipped with --skip-slow (minutes, or a full-size map)
#     <!-- needs-frameworks -->  needs Python frameworks from PyPI (torch, snnTorch, ...);
#                                skipped unless --with-frameworks
#     Both may share one comment: <!-- slow needs-frameworks -->.
#
# By default it clones the checkout's HEAD into a temporary folder, puts a `shared`
# symlink beside it (../shared, as CI has it), runs `make build` once there and checks the
# committed pages. --here checks the work tree's pages instead, with the work tree's
# already-built .build/release/tessera and no build: the commands run in a scratch copy of
# the work tree, so the files they write land there. --here skips `make` commands: they
# would build the copy's sources into the work tree's .build, whose module cache SwiftPM
# then refuses for both folders; run them without --here.
#
# Prints PASS, FAIL or SKIP with page:line for each command, goes on past failures, and
# exits 1 if any command failed (2 on a usage or set-up error).
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

pages=()
skip_slow=0
with_frameworks=0
here=0
list=0
keep=0
timeout_s=1800
while [ $# -gt 0 ]; do
    case "$1" in
        --page) [ $# -ge 2 ] || { usage >&2; exit 2; }; pages+=("$2"); shift 2 ;;
        --page=*) pages+=("${1#--page=}"); shift ;;
        --skip-slow) skip_slow=1; shift ;;
        --with-frameworks) with_frameworks=1; shift ;;
        --here) here=1; shift ;;
        --list) list=1; shift ;;
        --keep) keep=1; shift ;;
        --timeout) [ $# -ge 2 ] || { usage >&2; exit 2; }; timeout_s="$2"; shift 2 ;;
        --timeout=*) timeout_s="${1#--timeout=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "$repo/.." && pwd)/shared"

# Pages relative to the repository root: the ones given, or README.md and docs/*.md.
if [ ${#pages[@]} -eq 0 ]; then
    pages=(README.md)
    for p in "$repo"/docs/*.md; do pages+=("docs/$(basename "$p")"); done
else
    for i in "${!pages[@]}"; do
        p="${pages[$i]}"
        case "$p" in /*) p="$(realpath --relative-to="$repo" "$p")" ;; esac
        [ -f "$repo/$p" ] || [ -f "$PWD/$p" ] || { echo "error: no page '$p'" >&2; exit 2; }
        [ -f "$repo/$p" ] || p="$(realpath --relative-to="$repo" "$PWD/$p")"
        pages[$i]="$p"
    done
fi

# One page's commands as lines "LINE<TAB>FLAGS<TAB>COMMAND". FLAGS is a comma list of
# slow, needs-frameworks, and bad-fence / placeholder / prompt for blocks or commands
# that break the convention, or "-" for none (read splits on tabs, so no field may be
# empty). LINE is where the command starts.
extract() {
    awk '
    function strip_comment(s,    i, c, q, out, prev) {
        q = ""; out = ""; prev = " "
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (q == "") {
                if (c == "#" && (prev == " " || prev == "\t")) break
                if (c == "\"" || c == "\x27") q = c
            } else if (c == q) q = ""
            out = out c; prev = c
        }
        sub(/[ \t]+$/, "", out)
        return out
    }
    function emit(    f) {
        if (cmd == "") return
        f = blockflags
        if (cmd ~ /<[A-Za-z][A-Za-z0-9_. -]*>/ || cmd ~ /(^|[ \/=])\.\.\.([ \/]|$)/ || cmd ~ /(^| )\[-/) f = f ",placeholder"
        if (cmd ~ /^\$ /) f = f ",prompt"
        sub(/^,/, "", f)
        if (f == "") f = "-"
        printf "%d\t%s\t%s\n", start, f, cmd
        cmd = ""
    }
    BEGIN { inblock = 0; pending = ""; cmd = "" }
    {
        line = $0
        if (!inblock) {
            if (line ~ /^[ \t]*```/) {
                lang = line; sub(/^[ \t]*```[ \t]*/, "", lang); sub(/[ \t].*$/, "", lang)
                inblock = 1; fence = lang; blockflags = pending; pending = ""
                if (lang == "bash" || lang == "console" || lang == "shell" || lang == "shell-session") {
                    printf "%d\tbad-fence\t```%s (use ```sh for commands, ```text for output)\n", NR, lang
                }
                next
            }
            if (line ~ /^[ \t]*<!--.*-->[ \t]*$/) {
                if (line ~ /slow/) pending = pending ",slow"
                if (line ~ /needs-frameworks/) pending = pending ",needs-frameworks"
                sub(/^,/, "", pending)
            } else pending = ""
            next
        }
        if (line ~ /^[ \t]*```[ \t]*$/) { emit(); inblock = 0; next }
        if (fence != "sh") next
        text = strip_comment(line)
        if (cmd == "" && text ~ /^[ \t]*$/) next
        if (cmd == "") start = NR
        cont = (text ~ /\\$/)
        if (cont) sub(/[ \t]*\\$/, "", text)
        sub(/^[ \t]+/, "", text)
        cmd = (cmd == "" ? text : cmd " " text)
        if (!cont) emit()
    }
    ' "$1"
}

src_root="$repo"
if [ $list -eq 1 ]; then
    for p in "${pages[@]}"; do
        extract "$src_root/$p" | while IFS=$'\t' read -r line flags cmd; do
            printf '%s:%s [%s] %s\n' "$p" "$line" "$flags" "$cmd"
        done
    done
    exit 0
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/doc-commands.XXXXXX")"
cleanup() { if [ $keep -eq 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
root="$tmp/main"
ln -s "$shared" "$tmp/shared"

if [ $here -eq 1 ]; then
    # The work tree as it is (tracked and untracked files, not the ignored ones), with its
    # build folder linked in.
    [ -x "$repo/.build/release/tessera" ] || {
        echo "error: --here needs $repo/.build/release/tessera (make build)" >&2; exit 2; }
    mkdir -p "$root"
    if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$root" 2>/dev/null)
    else
        (cd "$repo" && find . -path './.build*' -prune -o -type f -print0 | xargs -0 cp --parents -t "$root")
    fi
    ln -s "$repo/.build" "$root/.build"
    echo "checking the work tree's pages in a copy: $root"
else
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || {
        echo "error: $repo is not a git checkout (--here checks a work tree without cloning)" >&2; exit 2; }
    src_root="$root"
    echo "cloning $(git -C "$repo" rev-parse --short HEAD) into $root"
    git clone -q "$repo" "$root" || { echo "error: git clone failed" >&2; exit 2; }
    echo "make build (log: $tmp/build.log)"
    if ! (cd "$root" && make build) >"$tmp/build.log" 2>&1; then
        tail -n 30 "$tmp/build.log"
        echo "FAIL make build"
        exit 1
    fi
fi
export PATH="$root/.build/release:$PATH"
# Open MPI refuses to start as root unless told it may (--allow-run-as-root). The pages
# show the mpirun commands a user types, without that flag, so as root (a CI container)
# the checker allows it through the environment instead.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# Variables of a bare shell, so that only what the pages set is carried from line to line.
baseline="$tmp/baseline"
bash -c 'compgen -v' | sort -u >"$baseline"

pass=0; fail=0; skip=0
failed=()
for p in "${pages[@]}"; do
    [ -f "$src_root/$p" ] || { echo "FAIL $p: not in the checked tree"; fail=$((fail + 1)); failed+=("$p"); continue; }
    state="$tmp/state"; rm -rf "$state"; mkdir -p "$state"
    : >"$state/vars"; echo "$root" >"$state/pwd"
    n=0
    while IFS=$'\t' read -r line flags cmd <&3; do
        n=$((n + 1))
        where="$p:$line"
        short="$cmd"; [ ${#short} -gt 110 ] && short="${short:0:107}..."
        case ",$flags," in
            *,bad-fence,*|*,placeholder,*|*,prompt,*)
                reason="${flags//,/ }"
                echo "FAIL $where ($reason) $short"
                fail=$((fail + 1)); failed+=("$where"); continue ;;
        esac
        if [ $with_frameworks -eq 0 ] && [[ ",$flags," == *,needs-frameworks,* ]]; then
            echo "SKIP $where (needs Python frameworks; --with-frameworks runs it) $short"
            skip=$((skip + 1)); continue
        fi
        if [ $skip_slow -eq 1 ] && [[ ",$flags," == *,slow,* ]]; then
            echo "SKIP $where (slow; without --skip-slow it runs) $short"
            skip=$((skip + 1)); continue
        fi
        if [ $here -eq 1 ] && [[ "$cmd" =~ ^make([[:space:]]|$) ]]; then
            echo "SKIP $where (make builds; --here shares the work tree's .build, run without --here) $short"
            skip=$((skip + 1)); continue
        fi
        log="$tmp/log"
        started=$SECONDS
        # shellcheck disable=SC2016
        timeout --kill-after=30 "$timeout_s" bash -c '
            __cdc_state="$1"; __cdc_baseline="$2"; __cdc_cmd="$3"
            cd "$(cat "$__cdc_state/pwd")" || exit 99
            source "$__cdc_state/vars"
            eval "$__cdc_cmd"
            __cdc_rc=$?
            pwd >"$__cdc_state/pwd"
            for __cdc_v in $(compgen -v | sort -u | comm -23 - "$__cdc_baseline"); do
                case "$__cdc_v" in __cdc_*|BASH_*|PIPESTATUS|FUNCNAME|_) continue ;; esac
                declare -p "$__cdc_v" 2>/dev/null
            done >"$__cdc_state/vars.new"
            mv "$__cdc_state/vars.new" "$__cdc_state/vars"
            exit $__cdc_rc
        ' doc-command "$state" "$baseline" "$cmd" </dev/null >"$log" 2>&1
        rc=$?
        took=$((SECONDS - started))
        if [ $rc -eq 0 ]; then
            echo "PASS $where (${took}s) $short"
            pass=$((pass + 1))
        else
            [ $rc -eq 124 ] && why="timed out after ${timeout_s}s" || why="exit $rc"
            echo "FAIL $where ($why, ${took}s) $short"
            tail -n 15 "$log" | sed 's/^/    | /'
            fail=$((fail + 1)); failed+=("$where")
        fi
    done 3< <(extract "$src_root/$p")
    [ $n -eq 0 ] && echo "---- $p: no commands"
done

echo
echo "$pass passed, $fail failed, $skip skipped"
if [ $fail -gt 0 ]; then
    printf 'failed: %s\n' "${failed[@]}"
    exit 1
fi
exit 0
