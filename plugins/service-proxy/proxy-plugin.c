/* proxy-plugin.c: descriptors of the service-proxy plugin (streams.md 7). */
#include <gio/gio.h>
#include <glib.h>

#include "proxy-tcp.h"
#include "proxy-udp.h"
#include "proxy-unix.h"
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

static const RcParamDesc udp_server_params[] = {
	{ "port", RC_PARAM_INT, RC_PARAM_REQUIRED, NULL, "Local UDP port to bind to" },
	{ "bindaddr", RC_PARAM_STRING, 0, "0.0.0.0", "Address to bind UDP listener to" },
	{ "remotenode", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Receptor node to connect to" },
	{ "remoteservice", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
	  "Receptor service name to connect to" },
	{ 0 },
};

static const RcParamDesc udp_client_params[] = {
	{ "service", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Receptor service name to bind to" },
	{ "address", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
	  "Address for outbound UDP connection" },
	{ 0 },
};

static const RcParamDesc unix_server_params[] = {
	{ "filename", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Socket filename, which will be overwritten" },
	{ "permissions", RC_PARAM_INT, 0, "0600", "Socket file permissions" },
	{ "remotenode", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Receptor node to connect to" },
	{ "remoteservice", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL,
	  "Receptor service name to connect to" },
	{ "tls", RC_PARAM_STRING, 0, NULL, "TLS client config for the Receptor connection" },
	{ 0 },
};

static const RcParamDesc unix_client_params[] = {
	{ "service", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Receptor service name to bind to" },
	{ "filename", RC_PARAM_STRING, RC_PARAM_REQUIRED, NULL, "Socket filename, which must already exist" },
	{ "tls", RC_PARAM_STRING, 0, NULL, "TLS server config for the Receptor connection" },
	{ 0 },
};

#define PROXY_OPS(prefix)                                                                  \
	{ .struct_size = sizeof(RcEntityOps), .create = proxy_##prefix##_create,           \
	  .start = proxy_##prefix##_start, .stop = proxy_##prefix##_stop,                  \
	  .free = proxy_##prefix##_free }

static const RcEntityOps udp_server_ops = PROXY_OPS(udp_server);
static const RcEntityOps udp_client_ops = PROXY_OPS(udp_client);
static const RcEntityOps unix_server_ops = PROXY_OPS(unix_server);
static const RcEntityOps unix_client_ops = PROXY_OPS(unix_client);

static const RcEntityDesc udp_server_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "udp-server",
	.kind = RC_ENTITY_SERVICE,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Listen for UDP and forward via Receptor",
	.params = udp_server_params,
	.ops = &udp_server_ops,
};

static const RcEntityDesc udp_client_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "udp-client",
	.kind = RC_ENTITY_SERVICE,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Listen on a Receptor service and forward via UDP",
	.params = udp_client_params,
	.ops = &udp_client_ops,
};

static const RcEntityDesc unix_server_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "unix-socket-server",
	.kind = RC_ENTITY_SERVICE,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Listen on a Unix socket and forward via Receptor",
	.params = unix_server_params,
	.ops = &unix_server_ops,
};

static const RcEntityDesc unix_client_entity = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "unix-socket-client",
	.kind = RC_ENTITY_SERVICE,
	.flags = RC_ENTITY_RELOADABLE,
	.description = "Listen via Receptor and forward to a Unix socket",
	.params = unix_client_params,
	.ops = &unix_client_ops,
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
		 "Proxy services over the mesh (tcp, udp and unix-socket servers and clients)",
		 NULL, &tcp_server_entity, &tcp_client_entity, &udp_server_entity,
		 &udp_client_entity, &unix_server_entity, &unix_client_entity)
