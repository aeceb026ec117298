#!/bin/sh
# test/openapi/update-twilio.sh [VERSION] — regenerate test/openapi/twilio.json
# from Twilio's published OpenAPI description of its 2010-04-01 API, as the
# npm package @twilio/cli-core ships it (npm from Debian's npm package is
# enough). The tests use the file kept in the tree and need no network.
set -eu
version=${1:-9.0.0}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@twilio/cli-core@$version" >/dev/null && tar xzf ./*.tgz)
/usr/bin/python3 "$here/twilio_extract.py" "$tmp/package/src/services/twilio-api/twilio_api_v2010.json" \
    "@twilio/cli-core $version, src/services/twilio-api/twilio_api_v2010.json" >"$here/twilio.json.tmp"
mv "$here/twilio.json.tmp" "$here/twilio.json"
echo "test/openapi/twilio.json: from @twilio/cli-core $version"
