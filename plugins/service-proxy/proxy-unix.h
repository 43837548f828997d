/* proxy-unix.h: unix-socket-server (Unix listener -> mesh dial) and
 * unix-socket-client (mesh listener -> Unix connect), streams.md 7.6-7.7. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean proxy_unix_server_create(const RcHost *host, RcEntity *entity, GVariant *params,
				  gpointer *data, GError **error);
gboolean proxy_unix_server_start(gpointer data, GError **error);
void proxy_unix_server_stop(gpointer data);
void proxy_unix_server_free(gpointer data);

gboolean proxy_unix_client_create(const RcHost *host, RcEntity *entity, GVariant *params,
				  gpointer *data, GError **error);
gboolean proxy_unix_client_start(gpointer data, GError **error);
void proxy_unix_client_stop(gpointer data);
void proxy_unix_client_free(gpointer data);
