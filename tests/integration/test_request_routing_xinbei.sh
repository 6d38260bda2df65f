# Requests placed by location on the full Xinbei topology, whose grids have
# generated areas that tile each community (gen-xinbei.sh): a request taken
# at the district at the centre of a grid lands at that grid's community,
# with the grid recorded, through the township between them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worklib.sh"
XINBEI="$GL_SRC/deploy/topology/xinbei.json"
TOPO="$HOME_DIR/xinbei.json"
jq '.sla = [{"tier": "grid", "accept_s": 0, "resolve_s": 0}, {"tier": "community", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "township", "accept_s": 3600, "resolve_s": 7200}, {"tier": "district", "accept_s": 3600, "resolve_s": 7200},
            {"tier": "department", "accept_s": 3600, "resolve_s": 7200}]' "$XINBEI" >"$TOPO"
# centre (mean of the ring's corners) of three grids spread over the file
picks=$(jq -r '[.nodes[] | select(.tier == "grid" and .area)] | [.[7], .[301], .[650]] | .[] | .id + " " +
    ((.area.coordinates[0][:-1] | map(.[1]) | add / length) | tostring) + " " +
    ((.area.coordinates[0][:-1] | map(.[0]) | add / length) | tostring)' "$TOPO")
[ "$(wc -l <<<"$picks")" -eq 3 ] || fail "xinbei.json has too few grids with areas: $picks"
PORT_COUNT=400 start_up "$TOPO" --group township
while read -r grid lat lon; do
    com=${grid%.*}
    id=$(gl request --node xinbei --category urban/lighting --text "路灯不亮" --lat "$lat" --lon "$lon")
    expect xinbei "$id" ".holder == \"$com\" and .grid == \"$grid\" and .community == \"$com\""
    wait_until 20 "$com has $id" case_is "$com" "$id" ".holder == \"$com\" and .history[-1].action == \"received\""
    expect "$com" "$id" ".grid == \"$grid\""
    log "($lat, $lon) placed $id at $com, grid $grid"
done <<<"$picks"
log "ok: three points of the full Xinbei topology placed at their grids' communities"
