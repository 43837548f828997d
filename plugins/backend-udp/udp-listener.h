/* udp-listener.h: the udp-listener entity (wire.md 9.3, 9.5; config.md 9.4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean udp_listener_create(const RcHost *host, RcEntity *entity, GVariant *params,
			     gpointer *data, GError **error);
gboolean udp_listener_start(gpointer data, GError **error);
void udp_listener_stop(gpointer data);
void udp_listener_free(gpointer data);
