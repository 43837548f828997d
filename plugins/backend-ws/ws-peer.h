/* ws-peer.h: the ws-peer entity (wire.md 9.2, 9.6; config.md 9.4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

gboolean ws_peer_create(const RcHost *host, RcEntity *entity, GVariant *params,
			gpointer *data, GError **error);
gboolean ws_peer_start(gpointer data, GError **error);
void ws_peer_stop(gpointer data);
void ws_peer_free(gpointer data);

/* wire.md 9.2 / 13.1: redial delay 5 s, x1.5 after each wait, capped at 20 s. */
#define WS_REDIAL_INITIAL_S 5.0
#define WS_REDIAL_FACTOR    1.5
#define WS_REDIAL_MAX_S     20.0
/* Go waits for the upgrade response forever (wire.md 9.6 "Timeouts"); we give
 * a stuck server this long before the attempt fails and is retried. */
#define WS_PEER_RESPONSE_TIMEOUT_MS 60000

/* Next delay after waiting `delay_s` (pure, for unit tests). */
double ws_peer_next_delay(double delay_s);
