/* tcp-listener.h: the tcp-listener entity (wire.md 9.3, 9.4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean tcp_listener_create(const RcHost *host, RcEntity *entity, GVariant *params,
			     gpointer *data, GError **error);
gboolean tcp_listener_start(gpointer data, GError **error);
void tcp_listener_stop(gpointer data);
void tcp_listener_free(gpointer data);
/* The bound port (after start; 0 before).  For tests. */
guint16 tcp_listener_get_port(gpointer data);
