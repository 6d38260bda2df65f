/* broker.h: the bus. Every node process publishes its nodes' change feed to
 * the broker's intake (a CurveZMQ SUB that admits only topology keys); the
 * broker checks each event, tracks every node's sequence numbers to count
 * gaps and drop duplicates, and republishes on its output PUB (admitting
 * topology keys and the operators' monitor keys) under the topic
 * "<kind> <node id>", so a subscriber can filter by kind, by kind and
 * subtree, or take everything. Once a second it publishes "hugz" with its
 * counters, so a subscriber knows its subscription is live even when the
 * district is quiet. */
#ifndef GL_BROKER_H
#define GL_BROKER_H

int broker_run(const char *home);

#endif
