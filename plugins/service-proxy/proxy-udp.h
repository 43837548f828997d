/* proxy-udp.h: udp-server (UDP socket -> mesh datagrams) and udp-client (mesh
 * datagrams -> UDP socket), streams.md 7.4-7.5. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean proxy_udp_server_create(const RcHost *host, RcEntity *entity, GVariant *params,
				 gpointer *data, GError **error);
gboolean proxy_udp_server_start(gpointer data, GError **error);
void proxy_udp_server_stop(gpointer data);
void proxy_udp_server_free(gpointer data);

gboolean proxy_udp_client_create(const RcHost *host, RcEntity *entity, GVariant *params,
				 gpointer *data, GError **error);
gboolean proxy_udp_client_start(gpointer data, GError **error);
void proxy_udp_client_stop(gpointer data);
void proxy_udp_client_free(gpointer data);
