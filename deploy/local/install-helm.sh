#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Installs helm (v3) into the stack cache with `go install`, once, and prints
# the binary's path:  HELM=$(bash deploy/local/install-helm.sh)
# Version: CAIRN_HELM_VERSION (default v3.21.4), falling back to v3.22.0, then
# the newest v3 release.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cache_locked helm go_install_cached helm helm.sh/helm/v3/cmd/helm "${CAIRN_HELM_VERSION:-v3.21.4}" v3.22.0 latest
