#!/usr/bin/env bash
# Offline checks of the Helm chart in helm/cairn:
#   1. helm lint --strict, for each values case;
#   2. helm template, for each values case;
#   3. the rendered manifests validated against the Kubernetes JSON schemas
#      with kubernetes-validate --strict (no cluster needed);
#   4. values.schema.json rejects a few bad values.
# Values cases: the chart's defaults, plus every helm/cairn/ci/*-values.yaml
# (ha-values.yaml turns the CloudNativePG and Strimzi extras on).
#
# Installs what it lacks into ${CAIRN_STACK_CACHE:-$HOME/.cache/cairn-stack}:
# helm (through deploy/local/install-helm.sh, or `go install`), and
# kubernetes-validate from PyPI in a venv (venv-k8s).
# Exits non-zero on any failure.
#
# Environment: HELM (a helm binary to use), CAIRN_K8S_VERSION (Kubernetes
# version to validate against, default 1.33), CAIRN_HELM_CHECK_OUT (keep the
# rendered manifests in this folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART="$ROOT/helm/cairn"
CACHE="${CAIRN_STACK_CACHE:-$HOME/.cache/cairn-stack}"
K8S_VERSION="${CAIRN_K8S_VERSION:-1.33}"
HELM_VERSION="v3.21.4"
KUBERNETES_VALIDATE_VERSION="1.37.0"
# Kinds from operators' CRDs: kubernetes-validate ships only the core
# Kubernetes schemas, so these cannot be validated offline.
CRD_GROUPS="postgresql.cnpg.io kafka.strimzi.io"

log() { printf '==> %s\n' "$*"; }
die() { printf 'helm-check: FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------
find_helm() {
  if [[ -n "${HELM:-}" ]]; then
    [[ -x "$HELM" ]] || die "HELM=$HELM is not executable"
  elif [[ -f "$ROOT/deploy/local/install-helm.sh" ]]; then
    HELM=$(bash "$ROOT/deploy/local/install-helm.sh" | tail -n 1)
  elif [[ -x "$CACHE/bin/helm" ]]; then
    HELM="$CACHE/bin/helm"
  elif command -v helm >/dev/null 2>&1; then
    HELM=$(command -v helm)
  else
    command -v go >/dev/null 2>&1 || die "no helm and no go to install it with"
    log "installing helm $HELM_VERSION with go install"
    mkdir -p "$CACHE/bin"
    GOBIN="$CACHE/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    HELM="$CACHE/bin/helm"
  fi
  [[ -x "$HELM" ]] || die "helm not found at '$HELM'"
}

find_kubernetes_validate() {
  local venv="$CACHE/venv-k8s"
  if [[ ! -x "$venv/bin/kubernetes-validate" ]]; then
    log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $venv"
    mkdir -p "$CACHE"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  fi
  KV="$venv/bin/kubernetes-validate"
  PY="$venv/bin/python"
}

find_helm
find_kubernetes_validate
log "helm: $HELM ($("$HELM" version --short))"
log "kubernetes-validate: $("$KV" --version), Kubernetes $K8S_VERSION"

if [[ -n "${CAIRN_HELM_CHECK_OUT:-}" ]]; then
  OUT="$CAIRN_HELM_CHECK_OUT"; mkdir -p "$OUT"
else
  OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
fi

# Splits a rendered stream into the documents kubernetes-validate can check
# (written to $2) and the CRD-backed ones it cannot (listed, skipped).
# Fails on a document without apiVersion/kind.
split_manifests() {
  "$PY" - "$1" "$2" "$CRD_GROUPS" <<'PY'
import sys, yaml
src, dst, groups = sys.argv[1], sys.argv[2], sys.argv[3].split()
kept, skipped = [], []
with open(src) as f:
    for doc in yaml.safe_load_all(f):
        if doc is None:
            continue
        api, kind = doc.get("apiVersion"), doc.get("kind")
        name = (doc.get("metadata") or {}).get("name")
        if not api or not kind or not name:
            sys.exit(f"a rendered document lacks apiVersion, kind or metadata.name: {doc!r:.200}")
        if api.split("/")[0] in groups:
            skipped.append(f"{kind} {name} ({api})")
        else:
            kept.append(doc)
with open(dst, "w") as f:
    yaml.safe_dump_all(kept, f, sort_keys=False)
print(f"{len(kept)} documents to validate")
for s in skipped:
    print(f"SKIPPED (CRD kind, no offline schema in kubernetes-validate): {s}")
PY
}

# --- the checks --------------------------------------------------------------
cases=(default)
for f in "$CHART"/ci/*-values.yaml; do
  [[ -e "$f" ]] && cases+=("$f")
done

for case in "${cases[@]}"; do
  values=()
  label=default
  if [[ "$case" != default ]]; then
    values=(--values "$case")
    label=$(basename "$case" -values.yaml)
  fi
  log "[$label] helm lint --strict"
  "$HELM" lint --strict --kube-version "$K8S_VERSION" "${values[@]}" "$CHART" \
    || die "[$label] helm lint"

  log "[$label] helm template"
  rendered="$OUT/$label.yaml"
  "$HELM" template cairn "$CHART" --namespace cairn --kube-version "$K8S_VERSION" \
    "${values[@]}" >"$rendered" || die "[$label] helm template"

  log "[$label] kubernetes-validate -k $K8S_VERSION --strict"
  split_manifests "$rendered" "$OUT/$label.core.yaml" || die "[$label] reading the rendered manifests"
  report="$OUT/$label.validate.txt"
  if ! "$KV" -k "$K8S_VERSION" --strict --quiet "$OUT/$label.core.yaml" >"$report" 2>&1; then
    grep -E '^(ERROR|WARN)' "$report" >&2 || cat "$report" >&2
    die "[$label] kubernetes-validate"
  fi
  # A kind without a schema only warns; here that is a failure.
  if grep -q "Couldn't find schema" "$report"; then
    cat "$report" >&2
    die "[$label] a kind without a schema was not skipped explicitly"
  fi
done

log "values.schema.json rejects bad values"
bad_values=(
  "gatewy.replicas=2"
  "kafka.brokers=not-a-host-port"
  "serviceAccount.create=false"
  "image.pullPolicy=Sometimes"
  "tracking.port=70000"
)
for bad in "${bad_values[@]}"; do
  if "$HELM" template cairn "$CHART" --kube-version "$K8S_VERSION" --set "$bad" >/dev/null 2>&1; then
    die "the chart accepted --set $bad"
  fi
done

log "helm-check passed (${#cases[@]} values cases)"
