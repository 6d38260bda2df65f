#!/usr/bin/env bash
# gen-xinbei.sh: generate xinbei.json, the full Xinbei district of 2017, from
# data/xinbei-2017-units.csv (its ten township-level units and their split of
# 60 urban communities and 48 villages).
#
# Community and village names are placeholders ("三井街道第1社区",
# "奔牛镇第3村"), not the real ones. Grid counts are not in the data: an urban
# community gets 6-10 grids and a village 3-5, picked from the CRC (cksum) of
# the node ID so that every run produces the same file.
#
# usage: gen-xinbei.sh [UNITS_CSV] [OUT_JSON]
set -euo pipefail
export LC_ALL=C.UTF-8

here=$(cd "$(dirname "$0")" && pwd)
csv=${1:-$here/data/xinbei-2017-units.csv}
out=${2:-$here/xinbei.json}

expected_header='township_id,name_zh,kind,urban_communities,villages'
header=$(head -n 1 "$csv" | tr -d '\r')
if [[ $header != "$expected_header" ]]; then
    echo "gen-xinbei: unexpected header in $csv: $header" >&2
    exit 1
fi

# grid_count ID MIN SPAN: MIN + (crc32(ID) mod SPAN).
grid_count() {
    local crc
    crc=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
    echo $(($2 + crc % $3))
}

# One tab-separated line per node: id, tier, display name.
emit_nodes() {
    printf 'xinbei\tdistrict\t新北区\n'
    local id name kind urban villages
    while IFS=, read -r id name kind urban villages; do
        printf 'xinbei.%s\ttownship\t%s\n' "$id" "$name"
    done < <(tail -n +2 "$csv" | tr -d '\r')

    while IFS=, read -r id name kind urban villages; do
        local i g n cid cname
        for ((i = 1; i <= urban + villages; i++)); do
            if ((i <= urban)); then
                cid=$(printf 'xinbei.%s.c%02d' "$id" "$i")
                cname="${name}第${i}社区"
                n=$(grid_count "$cid" 6 5)
            else
                cid=$(printf 'xinbei.%s.v%02d' "$id" $((i - urban)))
                cname="${name}第$((i - urban))村"
                n=$(grid_count "$cid" 3 3)
            fi
            printf '%s\tcommunity\t%s\n' "$cid" "$cname"
            for ((g = 1; g <= n; g++)); do
                printf '%s.g%d\tgrid\t%s第%d网格\n' "$cid" "$g" "$cname" "$g"
            done
        done
    done < <(tail -n +2 "$csv" | tr -d '\r')
}

tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# SLA in seconds, from the time limits in the domain notes (c.4): sign-for
# within hours, resolution within working days; urban management cases get 5
# days at every tier, emergencies in comprehensive governance 30 minutes to
# accept and a day to resolve. Grids hold nothing: they report upward at once.
emit_nodes | jq -R -s '
  def h: . * 3600;
  def d: . * 86400;
  {
    name: "xinbei",
    listen_host: "127.0.0.1",
    port_base: 20000,
    sla: [
      {tier: "grid", accept_s: 0, resolve_s: 0},
      {tier: "community", accept_s: (4 | h), resolve_s: (3 | d)},
      {tier: "township", accept_s: (8 | h), resolve_s: (5 | d)},
      {tier: "district", accept_s: (1 | d), resolve_s: (10 | d)},
      {tier: "community", category: "urban", accept_s: (4 | h), resolve_s: (5 | d)},
      {tier: "township", category: "urban", accept_s: (8 | h), resolve_s: (5 | d)},
      {tier: "district", category: "urban", accept_s: (1 | d), resolve_s: (5 | d)},
      {tier: "community", category: "governance", priority: "emergency", accept_s: 1800, resolve_s: (24 | h)},
      {tier: "township", category: "governance", priority: "emergency", accept_s: 1800, resolve_s: (24 | h)},
      {tier: "district", category: "governance", priority: "emergency", accept_s: 1800, resolve_s: (24 | h)}
    ],
    nodes: [split("\n")[] | select(length > 0) | split("\t") | {id: .[0], tier: .[1], name: .[2]}]
  }' | jq -r '
  # One rule and one node per line keeps the file short and its diffs readable.
  def rows: map("    " + tojson) | join(",\n");
  "{",
  "  \"name\": \(.name | tojson),",
  "  \"listen_host\": \(.listen_host | tojson),",
  "  \"port_base\": \(.port_base),",
  "  \"sla\": [", (.sla | rows), "  ],",
  "  \"nodes\": [", (.nodes | rows), "  ]",
  "}"' >"$tmp"

# Cross-check against the plan totals (60 urban communities, 48 villages).
urban=$(jq '[.nodes[] | select(.id | test("\\.c[0-9]+$"))] | length' "$tmp")
rural=$(jq '[.nodes[] | select(.id | test("\\.v[0-9]+$"))] | length' "$tmp")
if ((urban != 60 || rural != 48)); then
    echo "gen-xinbei: expected 60 urban communities and 48 villages, got $urban and $rural" >&2
    exit 1
fi
chmod 0644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
jq -r '"\(.nodes | length) nodes: " + ([.nodes[] | .tier] | group_by(.) | map("\(length) \(.[0])") | join(", "))' "$out" >&2
