/* proxy-plugin.c: descriptors of the service-proxy plugin (streams.md 7). */
#include <gio/gio.h>
#include <glib.h>

#include "proxy-tcp.h"
#include "receptor/receptor-plugin.h"

static const RcParamDesc tcp_server_params[] = {
	{ "port", RC_PARAM_INT, RC_PARAM_REQUIRED, NULL, "Local TCP port to bind to" },
	{ "bindaddr", RC_PARAM_STRING, 0, "0.0.0.0", "Address to bind TCP listener to" },
	{ "remotenode", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Receptor node to connect to" },
	{ "remoteservice", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
	  "Receptor service name to connect to" },
	{ "tlsserver", RC_PARAM_STRING, 0, NULL, "Name of TLS server config for the TCP listener" },
	{ "tlsclient", RC_PARAM_STRING, 0, NULL,
	  "Name of TLS client config for the Receptor connection" },
	{ 0 },
};

static const RcParamDesc tcp_client_params[] = {
	{ "service", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Receptor service name to bind to" },
	{ "address", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
	  "Address for outbound TCP connection" },
	{ "tlsserver", RC_PARAM_STRING, 0, NULL, "Name of TLS server config for the Receptor service" },
	{ "tlsclient", RC_PARAM_STRING, 0, NULL, "Name of TLS client config for the TCP connection" },
	{ 0 },
};

static const RcEntityOps tcp_server_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = proxy_tcp_server_create,
	.start = proxy_tcp_server_start,
	.stop = proxy_tcp_server_stop,
	.free = proxy_tcp_server_free,
};

static const RcEntityOps tcp_client_ops = {
	.struct_size = sizeof(RcEntityOps),
	.create = proxy_tcp_client_create,
	.start = proxy_tcp_client_start,
	.stop = proxy_tcp_client_stop,
	.free = proxy_tcp_client_free,
};

static const RcEntityDesc tcp_server_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "tcp-server",
	.kind = RC_ENTITY_SERVICE,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Listen for TCP and forward via Receptor",
	.params = tcp_server_params,
	.ops = &tcp_server_ops,
};

static const RcEntityDesc tcp_client_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "tcp-client",
	.kind = RC_ENTITY_SERVICE,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Listen on a Receptor service and forward via TCP",
	.params = tcp_client_params,
	.ops = &tcp_client_ops,
};

RC_PLUGIN_DEFINE(service_proxy, "service-proxy", "1.0",
		 "Proxy services over mesh streams (tcp-server, tcp-client)", NULL,
		 &tcp_server_entity, &tcp_client_entity)
