# shellcheck shell=bash disable=SC2034 # <C>_* settings are read by lib.sh
# S3: Versity Gateway (Apache-2.0) built with go install, posix backend with
# sidecar metadata. Bucket cairn-artifacts is created at start-up.

S3_PORT=59000
S3_READY_TIMEOUT=60
S3_ACCESS_KEY=cairn
S3_SECRET_KEY=cairn-secret-key
S3_REGION=us-east-1
S3_BUCKET=cairn-artifacts
S3_VERSIONS=("${CAIRN_VERSITYGW_VERSION:-v1.7.0}" latest)
S3_DIR="$CAIRN_STACK_RUN/s3"
S3_PIDFILE="$S3_DIR/versitygw.pid"
S3_URL="http://127.0.0.1:$S3_PORT"

s3_apt_needs() { have curl || echo curl; }

# s3_curl CURL-ARGS...: curl signing with SigV4 as the stack's access key.
s3_curl() {
  curl -sS --max-time 60 --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}
_s3_status() { s3_curl -o /dev/null -w '%{http_code}' "$@" 2>/dev/null || true; }

s3_bin() { go_install_cached versitygw github.com/versity/versitygw/cmd/versitygw "${S3_VERSIONS[@]}"; }
s3_install() { s3_bin >/dev/null; }

s3_start() {
  local bin logfile
  bin=$(s3_bin)
  mkdir -p "$S3_DIR/data" "$S3_DIR/meta"
  logfile=$(rotate_log s3)
  detach "$S3_PIDFILE" "$logfile" "$bin" --port "127.0.0.1:$S3_PORT" \
    --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" --region "$S3_REGION" --health /health \
    posix --sidecar "$S3_DIR/meta" "$S3_DIR/data"
}

s3_pid() { pidfile_pid "$S3_PIDFILE"; }
s3_running() { pid_alive "$(s3_pid)" versitygw; }
s3_healthy() { curl -fsS -o /dev/null --max-time 3 "$S3_URL/health" 2>/dev/null; }

s3_post_start() {
  [[ $(_s3_status -I "$S3_URL/$S3_BUCKET") == 200 ]] && return 0
  local code
  code=$(_s3_status -X PUT "$S3_URL/$S3_BUCKET")
  [[ $code == 200 ]] || die "s3: creating bucket $S3_BUCKET returned HTTP $code"
  log "s3: created bucket $S3_BUCKET"
}

s3_stop() {
  s3_running || return 0
  [[ ${1:-} == quiet ]] || log "s3: stopping"
  stop_pid "$(s3_pid)" versitygw 15
}

s3_smoke() {
  local key="smoke/$$-$RANDOM.txt" body="hello cairn $RANDOM" out code
  code=$(_s3_status -X PUT --data-binary "$body" -H 'Content-Type: text/plain' "$S3_URL/$S3_BUCKET/$key")
  [[ $code == 200 ]] || { echo "s3: PUT returned HTTP $code" >&2; return 1; }
  out=$(s3_curl -f "$S3_URL/$S3_BUCKET/$key") || return 1
  [[ $out == "$body" ]] || { echo "s3: GET returned '$out'" >&2; return 1; }
  # curl's SigV4 signs the query as written: percent-encode it yourself.
  s3_curl -f "$S3_URL/$S3_BUCKET?list-type=2&prefix=smoke%2F" | grep -q "<Key>$key</Key>" ||
    { echo "s3: ListObjectsV2 misses $key" >&2; return 1; }
  code=$(_s3_status -X DELETE "$S3_URL/$S3_BUCKET/$key")
  [[ $code == 204 ]] || { echo "s3: DELETE returned HTTP $code" >&2; return 1; }
  echo "s3: bucket $S3_BUCKET PUT/GET/LIST/DELETE of $key ok"
}

s3_info() {
  local ver; ver=$(readlink -f "$CAIRN_STACK_CACHE/bin/versitygw" 2>/dev/null || true)
  ver=${ver%/versitygw}
  echo "$S3_URL, bucket $S3_BUCKET, ${ver##*/}"
}
