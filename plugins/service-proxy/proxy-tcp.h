/* proxy-tcp.h: tcp-server (TCP listener -> mesh dial) and tcp-client (mesh
 * listener -> TCP connect), streams.md 7.2-7.3. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean proxy_tcp_server_create(const RcHost *host, RcEntity *entity, GVariant *params,
				 gpointer *data, GError **error);
gboolean proxy_tcp_server_start(gpointer data, GError **error);
void proxy_tcp_server_stop(gpointer data);
void proxy_tcp_server_free(gpointer data);

gboolean proxy_tcp_client_create(const RcHost *host, RcEntity *entity, GVariant *params,
				 gpointer *data, GError **error);
gboolean proxy_tcp_client_start(gpointer data, GError **error);
void proxy_tcp_client_stop(gpointer data);
void proxy_tcp_client_free(gpointer data);
