#!/usr/bin/env bash
# Regenerates the catalog table in README.md (between <!-- catalog:start --> and <!-- catalog:end -->) from
# catalog/items/*.json, one row per item variant (the national base, then regional variants). The renderer is the test
# ReadmeCatalogTableIsCurrent; ONETHING_WRITE_README=1 makes it rewrite the block instead of failing. Needs no database.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo_root"
ONETHING_WRITE_README=1 dotnet test tests/OneThing.Tests/OneThing.Tests.csproj -v q --nologo \
  --filter "FullyQualifiedName~ReadmeCatalogTableTests.ReadmeCatalogTableIsCurrent" "$@"
git --no-pager diff --stat -- README.md 2>/dev/null || true
