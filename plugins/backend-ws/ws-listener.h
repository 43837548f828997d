/* ws-listener.h: the ws-listener entity (wire.md 9.3, 9.6; config.md 9.4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean ws_listener_create(const RcHost *host, RcEntity *entity, GVariant *params,
			    gpointer *data, GError **error);
gboolean ws_listener_start(gpointer data, GError **error);
void ws_listener_stop(gpointer data);
void ws_listener_free(gpointer data);
