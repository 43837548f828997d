/* ws-plugin.c: descriptors of the backend-ws plugin (config.md 9.4, wire.md 9.6). */
#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "ws-listener.h"
#include "ws-peer.h"

static const RcParamDesc ws_listener_params[] = {
	{ "bindaddr", RC_PARAM_STRING, 0, "0.0.0.0", "Local address to bind to" },
	{ "port", RC_PARAM_INT, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL,
	  "Local TCP port to run http server on" },
	{ "path", RC_PARAM_STRING, 0, "/", "URI path to the websocket server" },
	{ "tls", RC_PARAM_STRING, 0, NULL, "Name of TLS server config" },
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)" },
	{ "nodecost", RC_PARAM_FLOAT_MAP, 0, NULL, "Per-node costs" },
	{ "allowedpeers", RC_PARAM_STRING_LIST, 0, NULL,
	  "Peer node IDs to allow via this connection" },
	{ 0 },
};

static const RcParamDesc ws_peer_params[] = {
	{ "address", RC_PARAM_STRING, RC_PARAM_REQUIRED | RC_PARAM_BARE, NULL,
	  "URL to connect to" },
	{ "redial", RC_PARAM_BOOL, 0, "true", "Keep redialing on lost connection" },
	{ "extraheader", RC_PARAM_STRING, 0, NULL,
	  "Sends extra HTTP header on initial connection" },
	{ "tls", RC_PARAM_STRING, 0, NULL, "Name of TLS client config" },
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", "Connection cost (weight)" },
	{ "allowedpeers", RC_PARAM_STRING_LIST, 0, NULL,
	  "Peer node IDs to allow via this connection" },
	{ 0 },
};

static const RcEntityOps ws_listener_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = ws_listener_create,
	.start = ws_listener_start,
	.stop = ws_listener_stop,
	.free = ws_listener_free,
};

static const RcEntityOps ws_peer_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = ws_peer_create,
	.start = ws_peer_start,
	.stop = ws_peer_stop,
	.free = ws_peer_free,
};

static const RcEntityDesc ws_listener_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "ws-listener",
	.kind = RC_ENTITY_BACKEND,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Run an http server that accepts websocket connections",
	.params = ws_listener_params,
	.ops = &ws_listener_ops,
};

static const RcEntityDesc ws_peer_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "ws-peer",
	.kind = RC_ENTITY_BACKEND,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Connect outbound to a websocket peer",
	.params = ws_peer_params,
	.ops = &ws_peer_ops,
};

RC_PLUGIN_DEFINE(backend_ws, "backend-ws", "1.0",
		 "WebSocket backend links (ws-listener, ws-peer; libsoup 3)", NULL,
		 &ws_listener_entity, &ws_peer_entity)
