/* tcp-common.c: helpers shared by tcp-listener and tcp-peer. */
#include "tcp-common.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

const char *
tcp_param_string(GVariant *params, const char *name)
{
	const char *value = NULL;

	if (params == NULL || !g_variant_lookup(params, name, "&s", &value))
		return NULL;
	return value;
}

gboolean
tcp_check_costs(GVariant *params, GError **error)
{
	double cost = 1.0;
	g_autoptr(GVariant) nodecost = NULL;

	if (g_variant_lookup(params, "cost", "d", &cost) && cost <= 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "connection cost must be positive");
		return FALSE;
	}
	nodecost = g_variant_lookup_value(params, "nodecost", G_VARIANT_TYPE("a{sd}"));
	if (nodecost != NULL) {
		GVariantIter iter;
		const char *node;
		double value;

		g_variant_iter_init(&iter, nodecost);
		while (g_variant_iter_next(&iter, "{&sd}", &node, &value)) {
			if (value <= 0) {
				g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
					    "connection cost must be positive for %s", node);
				return FALSE;
			}
		}
	}
	return TRUE;
}

gboolean
tcp_split_host_port(const char *address, char **host, char **port, GError **error)
{
	const char *colon;
	g_autofree char *h = NULL;

	if (address[0] == '[') {
		const char *end = strchr(address, ']');

		if (end == NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: missing ']' in address", address);
			return FALSE;
		}
		if (end[1] == '\0') {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: missing port in address", address);
			return FALSE;
		}
		if (end[1] != ':') {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: %s", address,
				    strchr(end + 1, ':') != NULL ? "too many colons in address"
								 : "missing port in address");
			return FALSE;
		}
		h = g_strndup(address + 1, (gsize)(end - address - 1));
		colon = end + 1;
	} else {
		colon = strrchr(address, ':');
		if (colon == NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: missing port in address", address);
			return FALSE;
		}
		if (strchr(address, ':') != colon) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "address %s: too many colons in address", address);
			return FALSE;
		}
		h = g_strndup(address, (gsize)(colon - address));
	}
	if (strchr(colon + 1, '[') != NULL || strchr(colon + 1, ']') != NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "address %s: unexpected bracket in address", address);
		return FALSE;
	}
	*host = g_steal_pointer(&h);
	*port = g_strdup(colon + 1);
	return TRUE;
}

void
tcp_set_nodelay(GSocketConnection *connection)
{
	GSocket *socket = g_socket_connection_get_socket(connection);

	/* wire.md 9.4: Go sets TCP_NODELAY; we do too for comparable latency. */
	(void)g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

char *
tcp_error_text(const GError *error)
{
	if (error->domain == G_IO_ERROR) {
		switch (error->code) {
		case G_IO_ERROR_CONNECTION_REFUSED:
			return g_strdup("connection refused");
		case G_IO_ERROR_ADDRESS_IN_USE:
			return g_strdup("address already in use");
		case G_IO_ERROR_PERMISSION_DENIED:
			return g_strdup("permission denied");
		case G_IO_ERROR_TIMED_OUT:
			return g_strdup("i/o timeout");
		case G_IO_ERROR_HOST_UNREACHABLE:
			return g_strdup("no route to host");
		case G_IO_ERROR_NETWORK_UNREACHABLE:
			return g_strdup("network is unreachable");
		default:
			break;
		}
	}
	return g_strdup(error->message);
}
