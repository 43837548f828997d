/* tcp-plugin.c: descriptors of the backend-tcp plugin (config.md 9.4, wire.md 9.4). */
#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "tcp-listener.h"
#include "tcp-peer.h"

static const RcParamDesc tcp_listener_params[] = {
	{ "bindaddr", RC_PARAM_STRING, 0, "0.0.0.0", "Local address to bind to" },
	{ "port", RC_PARAM_INT, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL,
	  "Local TCP port to listen on" },
	{ "tls", RC_PARAM_STRING, 0, NULL, "Name of TLS server config" },
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)" },
	{ "nodecost", RC_PARAM_FLOAT_MAP, 0, NULL, "Per-node costs" },
	{ "allowedpeers", RC_PARAM_STRING_LIST, 0, NULL,
	  "Peer node IDs to allow via this connection" },
	{ 0 },
};

static const RcParamDesc tcp_peer_params[] = {
	{ "address", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL,
	  "Remote address (Host:Port) to connect to" },
	{ "redial", RC_PARAM_BOOL, 0, "true", "Keep redialing on lost connection" },
	{ "tls", RC_PARAM_STRING, 0, NULL, "Name of TLS client config" },
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)" },
	{ "allowedpeers", RC_PARAM_STRING_LIST, 0, NULL,
	  "Peer node IDs to allow via this connection" },
	{ 0 },
};

static const RcEntityOps tcp_listener_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = tcp_listener_create,
	.start = tcp_listener_start,
	.stop = tcp_listener_stop,
	.free = tcp_listener_free,
};

static const RcEntityOps tcp_peer_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = tcp_peer_create,
	.start = tcp_peer_start,
	.stop = tcp_peer_stop,
	.free = tcp_peer_free,
};

static const RcEntityDesc tcp_listener_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "tcp-listener",
	.kind = RC_ENTITY_BACKEND,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Run a backend listener on a TCP port",
	.params = tcp_listener_params,
	.ops = &tcp_listener_ops,
};

static const RcEntityDesc tcp_peer_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "tcp-peer",
	.kind = RC_ENTITY_BACKEND,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Make an outbound backend connection to a TCP peer",
	.params = tcp_peer_params,
	.ops = &tcp_peer_ops,
};

RC_PLUGIN_DEFINE(backend_tcp, "backend-tcp", "1.0", "TCP backend links (tcp-listener, tcp-peer)",
		 NULL, &tcp_listener_entity, &tcp_peer_entity)
