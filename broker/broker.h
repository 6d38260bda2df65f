/* broker.h: the bus and the district's monitoring view.
 *
 * Every node process connects a DEALER to the broker's ROUTER on bus_in
 * (CurveZMQ, ZAP domain "bus-in": topology node keys, and the operators'
 * monitor keys for requests) and sends its nodes' change feed there: each
 * log entry as it commits, and every two seconds a mark with each hosted
 * node's last log sequence. The broker checks each event (a connection may
 * speak only for nodes in its own subtree), applies it to its view only in
 * per-node sequence order, and republishes it on its PUB (bus_out) under the
 * topic "<kind> <node id>". A gap (an event past the next expected one, or a
 * mark ahead of the view) makes the broker ask that node's process for a
 * replay from its log; the replayed events are applied and republished in
 * order, so the view and every subscriber converge on the nodes' logs after
 * any loss. A restarted broker starts empty and rebuilds the same way, from
 * sequence 1 of each node as its first event or mark arrives.
 *
 * The view holds, per node, the last sequence applied and a window of the
 * most recent events (bounded in bytes across all nodes), and per case the
 * event of its highest version (bounded in count, least recently changed
 * dropped first). An event about a case that did not arise in the sending
 * node's subtree, or dated minutes in the future, is refused and counted.
 * Clients ask on bus_in for a snapshot (the view's events and every node's
 * mark, under a prefix), for a replay of a node's range, which the broker
 * serves from its window or forwards to the node's process, or for a
 * subscription to the events under a prefix. Each key gets only what the
 * topology grants it: a node's key its subtree, a monitor's its scope.
 * Only whole-district keys are let onto the PUB, where each second the
 * broker publishes "hugz" with its counters, and every two seconds "marks"
 * with each node's last sequence, so a subscriber notices a lost tail;
 * other subscribers get their events and marks over bus_in, through the
 * same bounded per-client queue as replies. The wire format is described in
 * codec.h ("bus protocol"). */
#ifndef GL_BROKER_H
#define GL_BROKER_H

int broker_run(const char *home);

#endif
