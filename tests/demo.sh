#!/usr/bin/env bash
# The demo `make demo` runs: a seeded simulator, then the connector against it.
# Expects `make build` to have run; RELEASE names the native build folder.
set -euo pipefail

release=${RELEASE:-target/release}
key=DEMOKEY
secret=demo-secret-do-not-use
work=$(mktemp -d)

"$release/confluent-sim" --api-key "$key" --api-secret "$secret" \
    --users 40 --service-accounts 12 --environments 4 --role-bindings 60 --seed 7 > "$work/sim.out" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$work/sim.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/sim.out")

export CONFLUENT_CLOUD_API_KEY=$key CONFLUENT_CLOUD_API_SECRET=$secret
cc() { "$release/confluent-connector" --base-url "$url" --cache-dir "$work/cache" "$@"; }
# The simulator's own REST API, as an administrator would change Confluent Cloud.
api() { curl -sS -u "$key:$secret" -H 'Content-Type: application/json' "$@" > /dev/null; }

echo "== simulator at $url"
echo "== confluent-connector check"
cc check

echo "== confluent-connector import entitlements --format table"
cc import entitlements --format table --quiet

echo "== confluent-connector import all --state state.json (first 3 records of each kind)"
cc import all --state "$work/state.json" > "$work/all.ndjson"
for kind in account entitlement access; do grep -m3 "\"record\":\"$kind\"" "$work/all.ndjson"; done

user=$(grep -m1 -o '"accountID":"u-[a-z0-9]*"' "$work/all.ndjson" | cut -d'"' -f4)
sa=$(grep -m1 -o '"accountID":"sa-[a-z0-9]*"' "$work/all.ndjson" | cut -d'"' -f4)
echo "== in Confluent Cloud: user $user is deleted, service account $sa gets a new description, a service account is created"
echo "   (the user's role bindings go with it; deleteLinks is off, so they are left as they were)"
api -X DELETE "$url/iam/v2/users/$user"
api -X PATCH "$url/iam/v2/service-accounts/$sa" -d '{"description":"rotated during the demo"}'
api -X POST "$url/iam/v2/service-accounts" -d '{"display_name":"demo-new-sa","description":"created during the demo"}'

echo "== confluent-connector import all --state state.json --incremental"
cc import all --state "$work/state.json" --incremental

echo "== and again: nothing has changed since"
cc import all --state "$work/state.json" --incremental

env=$(grep -m1 -o '"entType":"environment","entitlementID":"env-[a-z0-9]*"' "$work/all.ndjson" | cut -d'"' -f8)
field() { grep -o "\"$1\": \"[^\"]*\"" | head -1 | cut -d'"' -f4; }
echo "== provisioning round trip: create a service account"
cc provision create-account --attr username=demo-svc --attr customproperty4="made by the demo" | tee "$work/created.json"
svc=$(field accountID < "$work/created.json")
echo "== add access: EnvironmentAdmin on $env (dry run first, then for real)"
cc provision add-access --account "$svc" --ent-type environment --entitlement "$env" --role EnvironmentAdmin --dry-run \
    | grep -E '"(method|url|body)"'
cc provision add-access --account "$svc" --ent-type environment --entitlement "$env" --role EnvironmentAdmin | field outcome
echo "== the incremental import shows the new account and its access"
cc import all --state "$work/state.json" --incremental
echo "== remove access, then the account (and once more: already absent)"
cc provision remove-access --account "$svc" --ent-type environment --entitlement "$env" --role EnvironmentAdmin | field outcome
cc provision remove-account --account "$svc" | field outcome
cc provision remove-account --account "$svc" | field outcome
echo "== the next incremental import reports the account gone"
cc import all --state "$work/state.json" --incremental

echo "== a document pointing at a non-granted origin is refused"
mkdir -p "$work/config"
sed 's#https://api.confluent.cloud/iam/v2/users#http://169.254.169.254/latest/meta-data#' \
    connector/engine/defaults/ImportAccountEntJSON.json > "$work/config/ImportAccountEntJSON.json"
cc --config "$work/config" import accounts > /dev/null || echo "(exit code $?, as expected)"
