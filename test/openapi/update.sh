#!/bin/sh
# test/openapi/update.sh [VERSION] — regenerate test/openapi/github.json
# from GitHub's published OpenAPI description, the npm package
# @octokit/openapi (npm from Debian's npm package is enough). The tests
# use the file kept in the tree and need no network.
set -eu
version=${1:-23.0.2}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@octokit/openapi@$version" >/dev/null && tar xzf ./*.tgz)
/usr/bin/python3 "$here/extract.py" "$tmp/package/generated/api.github.com.deref.json" \
    "$version" >"$here/github.json.tmp"
mv "$here/github.json.tmp" "$here/github.json"
echo "test/openapi/github.json: from @octokit/openapi $version"
