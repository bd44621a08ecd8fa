# Shared by the bench scripts (source it from the repository root).

# build_cairn <dir> <log>: a private build of Cairn (tsc + path aliases) into <dir>, so a
# concurrent `npm run build` cannot change the code under a benchmark. On failure the log's
# tail goes to stderr and the function fails.
build_cairn() {
  { npx tsc -p tsconfig.build.json --outDir "$1" && npx tsc-alias -p tsconfig.build.json --outDir "$1"; } >"$2" 2>&1 ||
    { tail -30 "$2" >&2; return 1; }
}
