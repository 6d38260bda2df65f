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
# Areas and address keys are placeholders too. The district is the box
# lon 119.85..120.05, lat 31.80..32.05 (about where Xinbei lies, not its
# outline); it is cut into one rectangle per township, each township's into
# one per community, each community's into one per grid (split_box below),
# so the grids tile the district without gaps or overlaps and every grid's
# area lies in its community's and its township's. Only grids carry an area
# in the file. A community's address keys are a street and a housing
# estate named for its township and its place N among the township's
# communities (urban ones first): "三井3路" and "三井3花园" for
# 三井街道第3社区, "奔牛5路" and "奔牛5花园" for 奔牛镇第2村 (the fifth
# community of 奔牛镇, after its three urban ones).
#
# Departments (区/街道职能部门) come after every other node, so that they move
# no derived port: six under the district (区城市管理局 urban, 区民政局 civil,
# 公安新北分局 police, 区市场监管局 market, 区住建局 housing, 区生态环境局
# environment) and two under each township, its 城管中队 (urban) and its
# 派出所 (police). They have no area.
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

# One tab-separated line per node: id, tier, display name, address keys
# (joined by '|', communities only).
emit_nodes() {
    printf 'xinbei\tdistrict\t新北区\t\n'
    local id name kind urban villages
    while IFS=, read -r id name kind urban villages; do
        printf 'xinbei.%s\ttownship\t%s\t\n' "$id" "$name"
    done < <(tail -n +2 "$csv" | tr -d '\r')

    while IFS=, read -r id name kind urban villages; do
        local i g n cid cname short=${name%街道}
        short=${short%镇}
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
            printf '%s\tcommunity\t%s\t%s%d路|%s%d花园\n' "$cid" "$cname" "$short" "$i" "$short" "$i"
            for ((g = 1; g <= n; g++)); do
                printf '%s.g%d\tgrid\t%s第%d网格\t\n' "$cid" "$g" "$cname" "$g"
            done
        done
    done < <(tail -n +2 "$csv" | tr -d '\r')

    local dept dname short
    while read -r dept dname; do
        printf 'xinbei.%s\tdepartment\t%s\t\n' "$dept" "$dname"
    done <<'END'
urban 区城市管理局
civil 区民政局
police 公安新北分局
market 区市场监管局
housing 区住建局
environment 区生态环境局
END
    while IFS=, read -r id name _; do
        short=${name%街道}
        printf 'xinbei.%s.urban\tdepartment\t%s城管中队\t\n' "$id" "$name"
        printf 'xinbei.%s.police\tdepartment\t%s派出所\t\n' "$id" "${short%镇}"
    done < <(tail -n +2 "$csv" | tr -d '\r')
}

# place: appends to every node line its rectangle, "WEST SOUTH EAST NORTH"
# (empty for a department). A node's rectangle is its parent's split among
# the parent's children other than departments, in file order (so a
# parent's line must come before its children's).
place() {
    awk -v box='119.85 31.80 120.05 32.05' '
    # split_box(BOX, K, N): the Kth of N rectangles that tile BOX: C columns
    # (C the square root of N, rounded up) in rows from the north; the last
    # row holds what is left, each cell as wide as the row allows. Edges are
    # rounded to 6 decimals (about 0.1 m) and the outer ones are the box'"'"'s
    # own, so neighbours share their edges exactly.
    function edge(lo, hi, i, m) { return i == m ? hi : sprintf("%.6f", lo + i * (hi - lo) / m) + 0 }
    function split_box(b, k, n,    v, cols, rows, r, c, m) {
        split(b, v, " ")
        cols = int(sqrt(n)); if (cols * cols < n) cols++
        rows = int((n + cols - 1) / cols)
        r = int((k - 1) / cols); c = (k - 1) % cols
        m = r == rows - 1 ? n - cols * (rows - 1) : cols
        return sprintf("%.6f %.6f %.6f %.6f", edge(v[1], v[3], c, m), edge(v[4], v[2], r + 1, rows),
                       edge(v[1], v[3], c + 1, m), edge(v[4], v[2], r, rows))
    }
    BEGIN { FS = OFS = "\t" }
    {
        line[NR] = $0; id[NR] = $1; tier[NR] = $2
        parent[NR] = $1; sub(/\.[^.]*$/, "", parent[NR])
        if (parent[NR] != $1 && $2 != "department") k[NR] = ++children[parent[NR]]
    }
    END {
        for (i = 1; i <= NR; i++) {
            if (tier[i] == "department") { print line[i], ""; continue }
            rect[id[i]] = i in k ? split_box(rect[parent[i]], k[i], children[parent[i]]) : box
            print line[i], rect[id[i]]
        }
    }'
}

tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# SLA from the time limits of common practice, in working time on the
# calendar below: sign-for within working hours, resolution within working
# days; urban management cases get 5 working days at every tier, emergencies
# in comprehensive governance 30 minutes (clock) to accept and 24 hours
# (clock) to resolve. Grids hold nothing: they report upward at once.
# Departments keep a township's time limits.
#
# The category catalogue is the built-in one of common/category.c (where each
# figure's source is given); the unit tests check that the two agree.
# community_tasks is the community work-access list (社区工作准入): only these
# may be given to a community to handle.
#
# The calendar: the district's working hours, Monday to Friday, Beijing time,
# and the public holidays with their make-up working days (调休). 2026: the
# State Council's arrangement for 元旦, 春节, 清明, 劳动节, 端午, 中秋 and 国庆.
# 2027: only the statutory holidays themselves (元旦 1 day, 春节 除夕 to 初三,
# 清明, 劳动节 2 days, 端午, 中秋, 国庆 3 days); the bridging days and the
# make-up working days of the State Council's 2027 arrangement are to be
# added from its notice.
emit_nodes | place | jq -R -s '
  def wh: {a: "wh", n: .};
  def wd: {a: "wd", n: .};
  def s: {a: "s", n: .};
  def h: {a: "s", n: (. * 3600)};
  def lim(name; l): {(name + "_" + l.a): l.n};
  def cat(code; name; a; r): {code: code, name: name} + lim("accept"; a) + lim("resolve"; r);
  def rule(o; a; r): o + lim("accept"; a) + lim("resolve"; r);
  def rect: split(" ") | map(tonumber) | . as [$w, $s, $e, $n]
    | {type: "Polygon", coordinates: [[[$w, $s], [$e, $s], [$e, $n], [$w, $n], [$w, $s]]]};
  def node: {id: .[0], tier: .[1], name: .[2]}
    + (if .[3] != "" then {addresses: (.[3] | split("|"))} else {} end)
    + (if .[1] == "grid" then {area: (.[4] | rect)} else {} end);
  {
    name: "xinbei",
    listen_host: "127.0.0.1",
    port_base: 20000,
    sla: [
      rule({tier: "grid"}; (0 | s); (0 | s)),
      rule({tier: "community"}; (4 | wh); (3 | wd)),
      rule({tier: "township"}; (8 | wh); (5 | wd)),
      rule({tier: "district"}; (1 | wd); (10 | wd)),
      rule({tier: "department"}; (8 | wh); (5 | wd)),
      rule({tier: "community", category: "urban"}; (4 | wh); (5 | wd)),
      rule({tier: "township", category: "urban"}; (8 | wh); (5 | wd)),
      rule({tier: "district", category: "urban"}; (1 | wd); (5 | wd)),
      rule({tier: "community", category: "governance", priority: "emergency"}; (1800 | s); (24 | h)),
      rule({tier: "township", category: "governance", priority: "emergency"}; (1800 | s); (24 | h)),
      rule({tier: "district", category: "governance", priority: "emergency"}; (1800 | s); (24 | h)),
      rule({tier: "department", category: "governance", priority: "emergency"}; (1800 | s); (24 | h))
    ],
    categories: [
      cat("party"; "党建"; (1 | wd); (5 | wd)) + {subcategories: [
        cat("party/activities"; "组织活动"; (1 | wd); (5 | wd)),
        cat("party/members"; "党员服务"; (1 | wd); (5 | wd)),
        cat("party/volunteers"; "志愿服务"; (1 | wd); (5 | wd))]},
      cat("governance"; "综治"; (1 | wd); (5 | wd)) + {subcategories: [
        cat("governance/safety"; "安全隐患"; (1 | wd); (3 | wd)),
        cat("governance/disputes"; "矛盾纠纷"; (1 | wd); (10 | wd)),
        cat("governance/emergency"; "突发事件"; (600 | s); (2 | h)),
        cat("governance/petition"; "信访诉求"; (1 | wd); (13 | wd)),
        cat("governance/population"; "实有人口"; (1 | wd); (5 | wd))]},
      cat("urban"; "城管"; (1 | wd); (5 | wd)) + {subcategories: [
        cat("urban/sanitation"; "环境卫生"; (1 | wh); (5 | wh)),
        cat("urban/garbage"; "垃圾渣土"; (1 | wd); (4 | wd)),
        cat("urban/roads"; "道路设施"; (1 | wd); (5 | wd)),
        cat("urban/waterlogging"; "路面积水"; (1 | wh); (4 | wh)),
        cat("urban/lighting"; "路灯照明"; (1 | wd); (5 | wd)),
        cat("urban/greenery"; "园林绿化"; (1 | wd); (5 | wd)),
        cat("urban/building"; "违法搭建"; (4 | wh); (20 | wd)),
        cat("urban/parking"; "停车秩序"; (1 | wh); (4 | wh)),
        cat("urban/waterways"; "河道水域"; (1 | wd); (15 | wd)),
        cat("urban/utilities"; "市政公用"; (1 | wh); (24 | h))]},
      cat("services"; "社区服务"; (1 | wd); (5 | wd)) + {subcategories: [
        cat("services/elderly"; "养老服务"; (1 | wd); (5 | wd)),
        cat("services/welfare"; "社会救助"; (1 | wd); (3 | wd)),
        cat("services/employment"; "就业服务"; (1 | wd); (5 | wd)),
        cat("services/disability"; "助残服务"; (1 | wd); (5 | wd)),
        cat("services/consultation"; "政策咨询"; (1 | wd); (2 | wd))]}
    ],
    calendar: {
      utc_offset: "+08:00",
      hours: ["08:30-12:00", "13:30-17:30"],
      weekdays: ["mon", "tue", "wed", "thu", "fri"],
      holidays: [
        "2026-01-01..2026-01-03", "2026-02-15..2026-02-23", "2026-04-04..2026-04-06",
        "2026-05-01..2026-05-05", "2026-06-19..2026-06-21", "2026-09-25..2026-09-27",
        "2026-10-01..2026-10-07",
        "2027-01-01", "2027-02-05..2027-02-08", "2027-04-05", "2027-05-01..2027-05-02", "2027-06-09",
        "2027-09-15", "2027-10-01..2027-10-03"],
      workdays: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
      units: []
    },
    community_tasks: ["party/activities", "party/members", "governance/disputes", "services/elderly",
                      "services/welfare", "urban/sanitation"],
    nodes: [split("\n")[] | select(length > 0) | split("\t") | node]
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
  "  \"calendar\": {",
  (.calendar | to_entries | map("    \(.key | tojson): \(.value | tojson)") | join(",\n")),
  "  },",
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
