/* tcp-common.h: helpers shared by tcp-listener and tcp-peer (wire.md 9.4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

/* Validate `cost` and every `nodecost` value of an entity's params (config.md 9.4):
 * cost > 0 else "connection cost must be positive", each nodecost value > 0 else
 * "connection cost must be positive for <node>". */
gboolean tcp_check_costs(GVariant *params, GError **error);

/* Split "host:port" as Go's net.SplitHostPort does (IPv6 in brackets).
 * Errors read "address <a>: missing port in address" and the like.
 * (out) host and port are newly allocated strings. */
gboolean tcp_split_host_port(const char *address, char **host, char **port, GError **error);

/* Set TCP_NODELAY on the socket behind a connection (best effort). */
void tcp_set_nodelay(GSocketConnection *connection);

/* Go-like text for a socket error: "connection refused", "address already in use", ...
 * (transfer full) */
char *tcp_error_text(const GError *error);

/* Lookup of a string parameter in an a{sv}: (transfer none) (nullable) */
const char *tcp_param_string(GVariant *params, const char *name);
