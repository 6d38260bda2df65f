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

# SLA in seconds, from the time limits of common practice: sign-for within
# hours, resolution within working days; urban management cases get 5 days at
# every tier, emergencies in comprehensive governance 30 minutes to accept and
# a day to resolve. Grids hold nothing: they report upward at once.
#
# The category catalogue is the built-in one of common/category.c (where each
# figure's source is given; a working day counted as 24 h); the unit tests
# check that the two agree. community_tasks is the community work-access list
# (社区工作准入): only these may be given to a community to handle.
emit_nodes | jq -R -s '
  def h: . * 3600;
  def d: . * 86400;
  def cat(code; name; a; r): {code: code, name: name, accept_s: a, resolve_s: r};
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
    categories: [
      cat("party"; "党建"; (1 | d); (5 | d)) + {subcategories: [
        cat("party/activities"; "组织活动"; (1 | d); (5 | d)),
        cat("party/members"; "党员服务"; (1 | d); (5 | d)),
        cat("party/volunteers"; "志愿服务"; (1 | d); (5 | d))]},
      cat("governance"; "综治"; (1 | d); (5 | d)) + {subcategories: [
        cat("governance/safety"; "安全隐患"; (1 | d); (3 | d)),
        cat("governance/disputes"; "矛盾纠纷"; (1 | d); (10 | d)),
        cat("governance/emergency"; "突发事件"; 600; (2 | h)),
        cat("governance/petition"; "信访诉求"; (1 | d); (13 | d)),
        cat("governance/population"; "实有人口"; (1 | d); (5 | d))]},
      cat("urban"; "城管"; (1 | d); (5 | d)) + {subcategories: [
        cat("urban/sanitation"; "环境卫生"; (1 | h); (5 | h)),
        cat("urban/garbage"; "垃圾渣土"; (1 | d); (4 | d)),
        cat("urban/roads"; "道路设施"; (1 | d); (5 | d)),
        cat("urban/waterlogging"; "路面积水"; (1 | h); (4 | h)),
        cat("urban/lighting"; "路灯照明"; (1 | d); (5 | d)),
        cat("urban/greenery"; "园林绿化"; (1 | d); (5 | d)),
        cat("urban/building"; "违法搭建"; (4 | h); (20 | d)),
        cat("urban/parking"; "停车秩序"; (1 | h); (4 | h)),
        cat("urban/waterways"; "河道水域"; (1 | d); (15 | d)),
        cat("urban/utilities"; "市政公用"; (1 | h); (24 | h))]},
      cat("services"; "社区服务"; (1 | d); (5 | d)) + {subcategories: [
        cat("services/elderly"; "养老服务"; (1 | d); (5 | d)),
        cat("services/welfare"; "社会救助"; (1 | d); (3 | d)),
        cat("services/employment"; "就业服务"; (1 | d); (5 | d)),
        cat("services/disability"; "助残服务"; (1 | d); (5 | d)),
        cat("services/consultation"; "政策咨询"; (1 | d); (2 | d))]}
    ],
    community_tasks: ["party/activities", "party/members", "governance/disputes", "services/elderly",
                      "services/welfare", "urban/sanitation"],
    nodes: [split("\n")[] | select(length > 0) | split("\t") | {id: .[0], tier: .[1], name: .[2]}]
  }' | jq -r '
  # One rule and one node per line keeps the file short and its diffs readable.
  def rows: map("    " + tojson) | join(",\n");
  "{",
  "  \"name\": \(.name | tojson),",
  "  \"listen_host\": \(.listen_host | tojson),",
  "  \"port_base\": \(.port_base),",
  "  \"sla\": [", (.sla | rows), "  ],",
  "  \"categories\": [",
  (.categories | map("    " + (del(.subcategories) | tojson | .[:-1]) + ",\"subcategories\":[\n"
                     + (.subcategories | map("      " + tojson) | join(",\n")) + "\n    ]}") | join(",\n")),
  "  ],",
  "  \"community_tasks\": \(.community_tasks | tojson),",
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
