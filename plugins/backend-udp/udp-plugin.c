/* udp-plugin.c: descriptors of the backend-udp plugin (config.md 9.4, wire.md 9.5).
 * Go registers the types as "UDP-listener"/"UDP-peer"; the registry matches
 * names case-insensitively and YAML keys must be lower case anyway
 * (config.md 3.2, 4.3), so the lower-case spelling behaves identically and is
 * what --help prints (config.md Appendix A). */
#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "udp-listener.h"
#include "udp-peer.h"

static const RcParamDesc udp_listener_params[] = {
	{ "bindaddr", RC_PARAM_STRING, 0, "0.0.0.0", "Local address to bind to" },
	{ "port", RC_PARAM_INT, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL,
	  "Local UDP port to listen on" },
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)" },
	{ "nodecost", RC_PARAM_FLOAT_MAP, 0, NULL, "Per-node costs" },
	{ "allowedpeers", RC_PARAM_STRING_LIST, 0, NULL,
	  "Peer node IDs to allow via this connection" },
	{ 0 },
};

static const RcParamDesc udp_peer_params[] = {
	{ "address", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL,
	  "Host:Port to connect to" },
	{ "redial", RC_PARAM_BOOL, 0, "true", "Keep redialing on lost connection" },
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)" },
	{ "allowedpeers", RC_PARAM_STRING_LIST, 0, NULL,
	  "Peer node IDs to allow via this connection" },
	{ 0 },
};

static const RcEntityOps udp_listener_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = udp_listener_create,
	.start = udp_listener_start,
	.stop = udp_listener_stop,
	.free = udp_listener_free,
};

static const RcEntityOps udp_peer_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = udp_peer_create,
	.start = udp_peer_start,
	.stop = udp_peer_stop,
	.free = udp_peer_free,
};

static const RcEntityDesc udp_listener_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "udp-listener",
	.kind = RC_ENTITY_BACKEND,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Run a backend listener on a UDP port",
	.params = udp_listener_params,
	.ops = &udp_listener_ops,
};

static const RcEntityDesc udp_peer_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "udp-peer",
	.kind = RC_ENTITY_BACKEND,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Make an outbound backend connection to a UDP peer",
	.params = udp_peer_params,
	.ops = &udp_peer_ops,
};

RC_PLUGIN_DEFINE(backend_udp, "backend-udp", "1.0", "UDP backend links (udp-listener, udp-peer)",
		 NULL, &udp_listener_entity, &udp_peer_entity)
